package identity

import "testing"

// TestGlobMatchesGlobMatch: the prefix/suffix rejection of glob never changes globMatch's answer.
func TestGlobMatchesGlobMatch(t *testing.T) {
	pats := []string{"*", "", "arn:aws:iam::*:user/alice", "arn:aws:iam::*:role/svc-*", "a?c", "*b*", "ab*ab", "a*?", "?", "exact"}
	strs := []string{"", "a", "abc", "abab", "ab", "arn:aws:iam::111111111111:user/alice", "arn:aws:iam::1:user/alice2",
		"arn:aws:iam::1:role/svc-0001", "arn:aws:iam::1:role/svc-", "exact", "exactly", "aXc", "ac"}
	for _, p := range pats {
		g := newGlob(p)
		for _, s := range strs {
			if got, want := g.match(s), globMatch(p, s); got != want {
				t.Errorf("glob %q on %q: %v, globMatch %v", p, s, got, want)
			}
		}
	}
}
