package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/breachpath/breachpath/scoring/drift"
)

// Kind is what an event says happened.
type Kind string

// Event kinds.
const (
	// FindingOpened: a finding is open and on an attack path, and this sink
	// was not told so before (new, or newly on a path).
	FindingOpened Kind = "finding.opened"
	// FindingReopened: a finding this sink was told is resolved is open on
	// an attack path again.
	FindingReopened Kind = "finding.reopened"
	// FindingResolved: a finding this sink was told about is resolved: its
	// area was collected and the misconfiguration is gone. A finding whose
	// area failed to collect (stale) is never reported resolved.
	FindingResolved Kind = "finding.resolved"
	// PathOpened: an attack path this sink was not told about.
	PathOpened Kind = "path.opened"
	// PathClosed: an attack path this sink was told about is gone (never
	// sent when the search was truncated: a bounded search may hide it).
	PathClosed Kind = "path.closed"
)

// AllKinds lists every event kind.
var AllKinds = []Kind{FindingOpened, FindingReopened, FindingResolved, PathOpened, PathClosed}

// Event is one notification.
type Event struct {
	// ID is stable for the same change seen in the same observation, so a
	// receiver can drop a repeat (delivery is at least once).
	ID            string               `json:"id"`
	Kind          Kind                 `json:"kind"`
	ObservationID int64                `json:"observation_id"`
	SyncID        int64                `json:"sync_id"`
	ObservedAt    time.Time            `json:"observed_at"`
	Finding       *drift.FindingRecord `json:"finding,omitempty"`
	// FindingPaths are the ids of the attack paths the finding is on.
	FindingPaths []string          `json:"finding_paths,omitempty"`
	Path         *drift.PathRecord `json:"path,omitempty"`

	subject string // finding or path id: the key of the sent state
}

// ownerNames are the owners an event routes to.
func (e *Event) ownerNames() []string {
	switch {
	case e.Finding != nil:
		return []string{e.Finding.Owner}
	case e.Path != nil && len(e.Path.Owners) > 0:
		return e.Path.Owners
	}
	return []string{""}
}

// Sent states of a subject for one sink.
const (
	sentOpen     = "open"
	sentResolved = "resolved"
)

// subject prefixes in the sent state: a finding id and a path id never
// collide.
const (
	subjFinding = "finding:"
	subjPath    = "path:"
)

// Pending computes what a sink must be told, given the newest observation
// and what it was sent so far (subject -> sent state). It is a
// reconciliation rather than a replay of one diff, so a run that crashed
// after recording an observation but before notifying sends the same
// events on the next run, and a restart sends nothing twice.
func Pending(cur *drift.Observation, sent map[string]Sent) []Event {
	onPath := map[string][]string{}
	for _, p := range cur.Paths {
		for _, f := range p.Findings {
			onPath[f] = append(onPath[f], p.ID)
		}
	}
	var out []Event
	ev := func(k Kind, subject string) Event {
		return Event{ID: eventID(k, subject, cur.ID), Kind: k, ObservationID: cur.ID, SyncID: cur.SyncID,
			ObservedAt: cur.At, subject: subject}
	}
	byID := make(map[string]*drift.FindingRecord, len(cur.Findings))
	for i := range cur.Findings {
		f := &cur.Findings[i]
		byID[f.ID] = f
		subj := subjFinding + f.ID
		if f.State != drift.Open || len(onPath[f.ID]) == 0 {
			continue
		}
		var e Event
		switch sent[subj].State {
		case sentOpen:
			continue
		case sentResolved:
			e = ev(FindingReopened, subj)
		default:
			e = ev(FindingOpened, subj)
		}
		e.Finding, e.FindingPaths = f, slices.Clone(onPath[f.ID])
		out = append(out, e)
	}
	// Sorted so that the events go out in the same order on every run.
	subjects := make([]string, 0, len(sent))
	for s := range sent {
		subjects = append(subjects, s)
	}
	slices.Sort(subjects)
	for _, subj := range subjects {
		if sent[subj].State != sentOpen {
			continue
		}
		id, ok := strings.CutPrefix(subj, subjFinding)
		if !ok {
			continue
		}
		// Only an explicit resolved state counts: stale (its area failed to
		// collect) and absent (not loaded this time) say nothing about a fix.
		if f := byID[id]; f != nil && f.State == drift.Resolved {
			e := ev(FindingResolved, subj)
			e.Finding = f
			out = append(out, e)
		}
	}
	now := make(map[string]bool, len(cur.Paths))
	for i := range cur.Paths {
		p := &cur.Paths[i]
		subj := subjPath + p.ID
		now[subj] = true
		if sent[subj].State == sentOpen {
			continue
		}
		e := ev(PathOpened, subj)
		e.Path = p
		out = append(out, e)
	}
	if !cur.Truncated {
		for _, subj := range subjects {
			id, ok := strings.CutPrefix(subj, subjPath)
			if !ok || sent[subj].State != sentOpen || now[subj] {
				continue
			}
			e := ev(PathClosed, subj)
			e.Path = &drift.PathRecord{ID: id}
			// the state kept the path's ends when it was announced
			e.Path.Source, e.Path.Target, _ = strings.Cut(sent[subj].Ref, "\x00")
			out = append(out, e)
		}
	}
	return out
}

// stateAfter is the sent state a delivered event leaves.
func stateAfter(k Kind) string {
	if k == FindingResolved || k == PathClosed {
		return sentResolved
	}
	return sentOpen
}

func eventID(k Kind, subject string, observation int64) string {
	h := sha256.New()
	h.Write([]byte(string(k)))
	h.Write([]byte{0})
	h.Write([]byte(subject))
	h.Write([]byte{0})
	var b [8]byte
	for i := range b {
		b[i] = byte(observation >> (8 * i))
	}
	h.Write(b[:])
	return hex.EncodeToString(h.Sum(nil)[:16])
}
