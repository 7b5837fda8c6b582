package fetch

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

// activitySelect names the event fields the CIEM usage needs: a 90-day log
// is large, and the API returns every field unless told otherwise.
const activitySelect = "authorization,caller,claims,category,eventTimestamp,resourceId,status"

// Claim types that carry the caller's Entra object id.
var oidClaims = []string{"http://schemas.microsoft.com/identity/claims/objectidentifier", "oid"}

// activity reads each subscription's Activity Log for the last
// inventory.ActivityWindowDays days (armmonitor ActivityLogsClient,
// Microsoft.Insights/eventtypes/management/values, Reader is enough):
// which principal performed which control-plane operation at which scope.
// Only succeeded administrative events count. A subscription whose log
// cannot be read in full (throttled past the retries, refused, cut off
// mid-way) is recorded as failed: its principals' usage is then unknown,
// never "nothing used".
func (c *collector) activity(ctx context.Context) {
	to := c.inv.CollectedAt
	if to.IsZero() {
		to = time.Now().UTC()
	}
	from := to.Add(-inventory.ActivityWindowDays * 24 * time.Hour)
	log := inventory.NewActivityLog(from, to)
	filter := fmt.Sprintf("eventTimestamp ge '%s' and eventTimestamp le '%s'", from.Format(time.RFC3339), to.Format(time.RFC3339))
	sel := activitySelect
	_ = forEach(ctx, c.opts.Concurrency, c.subIDs(), func(ctx context.Context, sub string) error {
		got := inventory.NewActivityLog(from, to)
		err := c.subscriptionActivity(ctx, sub, filter, &sel, got)
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			log.Failed[sub] = err.Error()
			c.inv.MarkFailed(sub, inventory.AreaActivityLog, fmt.Errorf("activity log: %w", err))
			c.log.Warn("azure area failed", "area", inventory.AreaActivityLog, "subscription", sub, "err", err)
			return nil
		}
		log.Merge(got)
		log.Read[sub] = true
		c.inv.MarkRead(sub, inventory.AreaActivityLog)
		return nil
	})
	c.mu.Lock()
	c.inv.Activity = log
	c.mu.Unlock()
}

// event is one succeeded operation of the log.
type event struct {
	caller, action, scope string
	at                    time.Time
}

// subscriptionActivity pages through one subscription's log into got.
// Throttling (429 with Retry-After) and transient failures are retried by
// the SDK's pipeline; an error after that fails the whole subscription
// (got is then dropped), since a log read in part would make exercised
// actions look unexercised.
func (c *collector) subscriptionActivity(ctx context.Context, sub, filter string, sel *string, got *inventory.ActivityLog) error {
	cl, err := armmonitor.NewActivityLogsClient(sub, c.cred, c.armOpts)
	if err != nil {
		return fmt.Errorf("activity log client: %w", err)
	}
	pager := cl.NewListPager(filter, &armmonitor.ActivityLogsClientListOptions{Select: sel})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, e := range page.Value {
			if ev, ok := succeeded(e); ok {
				got.Record(ev.caller, ev.action, ev.scope, ev.at)
			}
		}
	}
	return nil
}

// succeeded returns the operation of a succeeded administrative event.
func succeeded(e *armmonitor.EventData) (event, bool) {
	if e == nil || e.Authorization == nil || e.Status == nil || !strings.EqualFold(str(e.Status.Value), "Succeeded") {
		return event{}, false
	}
	if e.Category != nil && e.Category.Value != nil && !strings.EqualFold(*e.Category.Value, "Administrative") {
		return event{}, false
	}
	// The authorization scope is where the action was allowed; events
	// that lack it name the resource acted on.
	ev := event{action: str(e.Authorization.Action), scope: firstNonEmpty(str(e.Authorization.Scope), str(e.ResourceID))}
	if e.EventTimestamp != nil {
		ev.at = e.EventTimestamp.UTC()
	}
	for _, k := range oidClaims {
		if v := e.Claims[k]; v != nil && *v != "" {
			ev.caller = *v
			break
		}
	}
	if ev.caller == "" {
		ev.caller = str(e.Caller)
	}
	return ev, ev.caller != "" && ev.action != "" && ev.scope != "" && !ev.at.IsZero()
}
