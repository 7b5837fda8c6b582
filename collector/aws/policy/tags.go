package policy

import (
	"maps"
	"slices"
	"strings"
)

// The caller chooses the tags of its own requests (aws:RequestTag/<key>, aws:TagKeys) and, when it
// may tag a resource, the tags that resource carries afterwards (aws:ResourceTag/<key>). Such a
// condition is neither unknown nor decided by what was collected: it holds if some choice of tags
// makes it hold. TagValues and TagChoices list the choices worth trying, so that a caller decides
// them with ordinary evaluations (Request.RequestTags, Request.ResourceTags) and can say which tags
// it chose.

// OtherTagValue is the value tried for a tag key besides the values conditions name: one that
// equals none of them (for StringNotEquals-style conditions).
const OtherTagValue = "breachpath-other"

// TagValues collects, per tag key (lower-cased), the values the policies' conditions compare
// aws:RequestTag/<key>, aws:ResourceTag/<key> or <service>:ResourceTag/<key> with, plus the keys
// aws:TagKeys conditions name. Variables resolve against the caller (${aws:PrincipalTag/<key>},
// ${aws:username}); a value with another variable is skipped; wildcards become the shortest text
// they match. Every key also gets OtherTagValue.
func TagValues(caller Principal, policies ...*Policy) map[string][]string {
	out := map[string][]string{}
	add := func(key, v string) {
		if !slices.Contains(out[key], v) {
			out[key] = append(out[key], v)
		}
	}
	for _, p := range policies {
		if p == nil {
			continue
		}
		for _, st := range p.Statements {
			for _, c := range st.Conditions {
				k := strings.ToLower(c.Key)
				if k == "aws:tagkeys" {
					for _, v := range c.Values {
						if v = literalTagValue(v, caller); v != "" {
							add(strings.ToLower(v), OtherTagValue)
						}
					}
					continue
				}
				tag, ok := strings.CutPrefix(k, "aws:requesttag/")
				if !ok {
					if _, t, found := strings.Cut(k, ":resourcetag/"); found {
						tag, ok = t, true
					}
				}
				if !ok || tag == "" {
					continue
				}
				for _, v := range c.Values {
					if v = literalTagValue(v, caller); v != "" {
						add(tag, v)
					}
				}
				add(tag, OtherTagValue)
			}
		}
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

// literalTagValue turns a condition value into a tag value that matches it: variables of the
// caller substituted, wildcards dropped ('?' as one character). "" when it cannot.
func literalTagValue(v string, caller Principal) string {
	for strings.Contains(v, "${") {
		i := strings.Index(v, "${")
		j := strings.Index(v[i:], "}")
		if j < 0 {
			return ""
		}
		key := strings.ToLower(strings.TrimSpace(v[i+2 : i+j]))
		val := ""
		switch {
		case strings.HasPrefix(key, "aws:principaltag/"):
			want := strings.TrimPrefix(key, "aws:principaltag/")
			for tk, tv := range caller.Tags {
				if strings.EqualFold(tk, want) {
					val = tv
				}
			}
		case key == "aws:username" && caller.Type == TypeUser:
			val = caller.Name
		}
		if val == "" {
			return ""
		}
		v = v[:i] + val + v[i+j+1:]
	}
	v = strings.ReplaceAll(v, "*", "")
	return strings.ReplaceAll(v, "?", "x")
}

// TagChoices lists the tag changes worth trying, given the candidate values per key: every
// combination of keeping a key as it is or setting it to one of its values, the smallest changes
// first (the empty change first of all), at most limit of them. Keys are as TagValues returns them.
func TagChoices(values map[string][]string, limit int) []map[string]string {
	keys := slices.Sorted(maps.Keys(values))
	out := []map[string]string{{}}
	for size := 1; size <= len(keys) && len(out) < limit; size++ {
		var pick func(start int, cur map[string]string)
		pick = func(start int, cur map[string]string) {
			if len(out) >= limit {
				return
			}
			if len(cur) == size {
				out = append(out, maps.Clone(cur))
				return
			}
			for i := start; i < len(keys); i++ {
				for _, v := range values[keys[i]] {
					cur[keys[i]] = v
					pick(i+1, cur)
					delete(cur, keys[i])
					if len(out) >= limit {
						return
					}
				}
			}
		}
		pick(0, map[string]string{})
	}
	return out
}
