package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

const (
	apiAuthorization = "2022-04-01"
	apiPIM           = "2020-10-01"
)

// authorization reads, per subscription, the role assignments in effect
// there (at, above and below the subscription: inherited management group
// and root assignments included), custom role definitions, deny
// assignments and PIM-eligible assignments. Built-in roles come from the
// embedded catalogue. Eligibility needs no more than Reader, but tenants
// without Entra ID P2 answer it with an error; that is a warning.
func (c *collector) authorization(ctx context.Context) {
	for _, s := range c.inv.Subscriptions {
		if ctx.Err() != nil {
			return
		}
		base := "/subscriptions/" + s.ID + "/providers/Microsoft.Authorization/"
		var (
			ras  []inventory.RoleAssignment
			defs []inventory.RoleDefinition
			deny []inventory.DenyAssignment
		)
		err := c.armList(ctx, apiVersion(base+"roleAssignments", apiAuthorization), func(raw json.RawMessage) error {
			a, err := inventory.UnmarshalRoleAssignment(raw)
			if err == nil {
				ras = append(ras, a)
			}
			return err
		})
		if err == nil {
			err = c.armList(ctx, apiVersion(base+"roleDefinitions?$filter=type%20eq%20'CustomRole'", apiAuthorization), func(raw json.RawMessage) error {
				d, err := inventory.UnmarshalRoleDefinition(raw)
				if err == nil {
					defs = append(defs, d)
				}
				return err
			})
		}
		if err == nil {
			err = c.armList(ctx, apiVersion(base+"denyAssignments", apiAuthorization), func(raw json.RawMessage) error {
				r := inventory.Resource{}
				if err := json.Unmarshal(raw, &r); err != nil {
					return err
				}
				r.ID = lowerID(r.ID)
				var d inventory.DenyAssignment
				if err := d.FromResource(&r); err != nil {
					return err
				}
				deny = append(deny, d)
				return nil
			})
		}
		if err != nil {
			c.mu.Lock()
			c.inv.MarkFailed(s.ID, inventory.AreaAuthorization, fmt.Errorf("authorization: %w", err))
			c.mu.Unlock()
			continue
		}
		perr := c.armList(ctx, apiVersion(base+"roleEligibilityScheduleInstances", apiPIM), func(raw json.RawMessage) error {
			r := inventory.Resource{Type: inventory.TypeRoleEligibility}
			if err := json.Unmarshal(raw, &r); err != nil {
				return err
			}
			r.ID, r.Type = lowerID(r.ID), inventory.TypeRoleEligibility
			var a inventory.RoleAssignment
			if err := a.FromResource(&r); err != nil {
				return err
			}
			a.Eligible = true
			ras = append(ras, a)
			return nil
		})
		c.mu.Lock()
		if perr != nil {
			level := "unreadable"
			if statusOf(perr) == http.StatusBadRequest {
				level = "not available (Entra ID P2 needed)"
			}
			c.inv.Warn("subscription %s: PIM-eligible assignments %s: %v", s.ID, level, perr)
		}
		c.inv.RoleAssignments = mergeAssignments(c.inv.RoleAssignments, ras)
		c.inv.RoleDefinitions = mergeDefinitions(c.inv.RoleDefinitions, defs)
		c.inv.DenyAssignments = append(c.inv.DenyAssignments, deny...)
		c.inv.MarkRead(s.ID, inventory.AreaAuthorization)
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.inv.MarkRead("", inventory.AreaAuthorization)
	c.mu.Unlock()
}

// mergeAssignments adds assignments not yet present (inherited ones are
// listed once per subscription).
func mergeAssignments(have, add []inventory.RoleAssignment) []inventory.RoleAssignment {
	seen := make(map[string]bool, len(have))
	for _, a := range have {
		seen[a.ID] = true
	}
	for _, a := range add {
		if !seen[a.ID] {
			seen[a.ID] = true
			have = append(have, a)
		}
	}
	return have
}

func mergeDefinitions(have, add []inventory.RoleDefinition) []inventory.RoleDefinition {
	seen := make(map[string]bool, len(have))
	for _, d := range have {
		seen[d.Name] = true
	}
	for _, d := range add {
		if !seen[d.Name] {
			seen[d.Name] = true
			have = append(have, d)
		}
	}
	return have
}
