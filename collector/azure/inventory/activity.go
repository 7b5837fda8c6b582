package inventory

import (
	"strings"
	"time"
)

// AreaActivityLog is the Azure Activity Log read (per subscription). No node
// belongs to it: a failure makes the CIEM usage of the principals acting in
// that subscription unknown and stales nothing.
const AreaActivityLog = "activitylog"

// ActivityWindowDays is how far back the Activity Log is read: Azure keeps
// 90 days of it.
const ActivityWindowDays = 90

// ActivityLog is what the Azure Activity Log says principals did: the
// control-plane operations (writes, deletes and actions — the log records
// no reads and no data-plane operations) that succeeded in the window.
type ActivityLog struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Read lists the subscriptions whose log was read in full.
	Read map[string]bool `json:"read,omitempty"`
	// Failed maps a subscription whose log could not be read to why.
	Failed map[string]string `json:"failed,omitempty"`
	// ByCaller maps a caller key — the principal's object id from the
	// event's claims, or else the lower-cased caller (a user principal name
	// or an application id) — to the operations it exercised.
	ByCaller map[string][]Exercised `json:"by_caller,omitempty"`
	// index locates (caller, action, scope) in ByCaller: a busy
	// subscription's 90 days hold millions of events over far fewer
	// distinct operations.
	index map[string]int
}

// Exercised is one operation a principal performed successfully at a scope.
type Exercised struct {
	Action string    `json:"action"`
	Scope  string    `json:"scope"` // lower-cased ARM id the operation was authorised at
	Last   time.Time `json:"last"`
	Count  int       `json:"count"`
}

// NewActivityLog returns an empty log for the window [from, to].
func NewActivityLog(from, to time.Time) *ActivityLog {
	return &ActivityLog{From: from, To: to, Read: map[string]bool{}, Failed: map[string]string{}, ByCaller: map[string][]Exercised{}}
}

// Record adds one successful operation; the same (action, scope) of a
// caller is kept once with its latest time and a count.
func (l *ActivityLog) Record(caller, action, scope string, at time.Time) {
	l.add(caller, Exercised{Action: action, Scope: scope, Last: at, Count: 1})
}

// Merge adds every operation of another log (one subscription's, read in
// full) to l.
func (l *ActivityLog) Merge(o *ActivityLog) {
	for caller, ex := range o.ByCaller {
		for _, e := range ex {
			l.add(caller, e)
		}
	}
}

func (l *ActivityLog) add(caller string, e Exercised) {
	caller, e.Scope = strings.ToLower(caller), strings.ToLower(strings.TrimRight(e.Scope, "/"))
	if caller == "" || e.Action == "" || e.Scope == "" {
		return
	}
	if l.index == nil {
		l.index = map[string]int{}
		for c, ex := range l.ByCaller {
			for i, x := range ex {
				l.index[c+"\x00"+strings.ToLower(x.Action)+"\x00"+x.Scope] = i
			}
		}
	}
	key := caller + "\x00" + strings.ToLower(e.Action) + "\x00" + e.Scope
	if i, ok := l.index[key]; ok {
		x := &l.ByCaller[caller][i]
		x.Count += e.Count
		if e.Last.After(x.Last) {
			x.Last = e.Last
		}
		return
	}
	l.index[key] = len(l.ByCaller[caller])
	l.ByCaller[caller] = append(l.ByCaller[caller], e)
}
