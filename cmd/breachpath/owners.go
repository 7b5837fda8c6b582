package main

import (
	"context"
	"errors"

	"github.com/breachpath/breachpath/opsconfig"
	"github.com/breachpath/breachpath/scoring/drift"
	"github.com/breachpath/breachpath/scoring/notify"
	"github.com/breachpath/breachpath/scoring/owner"
)

// config returns the --config operations file (opsconfig), read once;
// nil when none is given.
func (a *app) config() (*opsconfig.Config, error) {
	if a.fileConfig != nil || a.configPath == "" {
		return a.fileConfig, nil
	}
	fc, err := opsconfig.Load(a.configPath)
	if err != nil {
		return nil, usageErrorf("--config: %v", err)
	}
	a.fileConfig = fc
	return fc, nil
}

// owners returns the owner resolver every command uses, built once from
// the configuration's owners: section and --owners (a mapping file read
// after the section's own rules): the queue, its exports, the API, the
// change ledger and the notifications all name the same owner.
func (a *app) owners() (*owner.Resolver, error) {
	if a.resolver != nil {
		return a.resolver, nil
	}
	fc, err := a.config()
	if err != nil {
		return nil, err
	}
	var c owner.Config
	if fc != nil {
		c = fc.Owners
	}
	if a.ownersFile != "" {
		c.File = a.ownersFile
	}
	r, err := owner.New(c)
	if err != nil {
		return nil, usageErrorf("owners: %v", err)
	}
	a.resolver = r
	return r, nil
}

// notifyPaths are the notification state and dead-letter files: beside the
// change ledger unless the configuration names them.
func (a *app) notifyPaths(c *notify.Config) (state, dead string) {
	state, dead = c.State, c.DeadLetter
	if state == "" {
		state = a.changesPath() + ".notify"
	}
	if dead == "" {
		dead = a.changesPath() + ".deadletter.jsonl"
	}
	return state, dead
}

// notify sends the notifications the configuration asks for about the
// observation just recorded. Failures are logged, not returned: the sync
// and its observation are kept, and the next run catches up from the sent
// state.
func (a *app) notify(ctx context.Context, o *drift.Observation) {
	fc, err := a.config()
	if err != nil || fc == nil || o == nil || (len(fc.Notify.Webhooks) == 0 && fc.Notify.Jira == nil) {
		return
	}
	state, dead := a.notifyPaths(&fc.Notify)
	n, err := notify.New(notify.Options{Config: &fc.Notify, StatePath: state, DeadLetterPath: dead, Logger: a.log})
	if err != nil {
		a.log.Warn("notifications not sent", "err", err)
		return
	}
	res, err := n.Run(ctx, o)
	if err != nil && !errors.Is(err, context.Canceled) {
		a.log.Warn("notifications: state not updated", "state", state, "err", err)
	}
	for _, r := range res {
		if r.DeadLettered > 0 {
			a.log.Warn("notifications failed and went to the dead-letter file", "sink", r.Sink, "count", r.DeadLettered, "dead_letter", dead)
		}
	}
}
