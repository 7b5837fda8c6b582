package wildcard

import (
	"regexp"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		name, pattern, s string
		want             bool
	}{
		{"literal equal", "arn:aws:s3:::logs", "arn:aws:s3:::logs", true},
		{"literal differs", "arn:aws:s3:::logs", "arn:aws:s3:::log", false},
		{"star matches nothing", "logs*", "logs", true},
		{"star crosses slash and colon", "arn:*/prod/*", "arn:aws:s3:::b/prod/k/v", true},
		{"star then literal needs backtracking", "*a*b", "xaxaxb", true},
		{"star cannot supply a missing suffix", "*a*b", "xaxax", false},
		{"question mark is one character", "team-?", "team-a", true},
		{"question mark is not zero characters", "team-?", "team-", false},
		{"question mark is one multi-byte character", "team-?", "team-é", true},
		{"question mark is not two characters", "team-?", "team-ab", false},
		{"case matters", "Logs*", "logs-1", false},
		{"star in the text is text", "a*", "a*b", true},
		{"empty pattern matches only empty", "", "", true},
		{"empty pattern does not match text", "", "x", false},
		{"hostile pattern stays fast", strings.Repeat("*a", 40) + "b", strings.Repeat("a", 5000), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Match(c.pattern, c.s); got != c.want {
				t.Fatalf("Match(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
			}
		})
	}
}

func TestMatchFoldIgnoresASCIICaseOnly(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"s3:Get*", "S3:GETOBJECT", true},
		{"IAM:passrole", "iam:PassRole", true},
		{"s3:Put?", "s3:putX", true},
		{"é*", "É", false}, // only ASCII letters fold, as IAM does
	} {
		if got := MatchFold(c.pattern, c.s); got != c.want {
			t.Errorf("MatchFold(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// TestMatchMarkedKeepsSubstitutedWildcardsLiteral: with marker bytes for the
// wildcards, a '*' or '?' in the pattern's text is an ordinary character.
func TestMatchMarkedKeepsSubstitutedWildcardsLiteral(t *testing.T) {
	const star, one = 0xFF, 0xFE
	p := "home/a*b?/" + string([]byte{star})
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"home/a*b?/file", true},
		{"home/axxbz/file", false},
	} {
		if got := MatchMarked(p, c.s, star, one, false); got != c.want {
			t.Errorf("MatchMarked(%q, %q) = %v, want %v", p, c.s, got, c.want)
		}
	}
	if !MatchMarked("HOME/"+string([]byte{one}), "home/é", star, one, true) {
		t.Error("fold with markers: want a match")
	}
}

// FuzzMatchAgreesWithRegexp checks the matcher against the regular
// expression the pattern means.
func FuzzMatchAgreesWithRegexp(f *testing.F) {
	for _, s := range [][2]string{{"a*b", "aab"}, {"*?*", "é"}, {"x?y*", "xzy"}, {"**a", "ba"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !utf8Valid(pattern) || !utf8Valid(s) {
			return
		}
		var re strings.Builder
		re.WriteString(`^(?s:`)
		for _, r := range pattern {
			switch r {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString(`)$`)
		want := regexp.MustCompile(re.String()).MatchString(s)
		if got := Match(pattern, s); got != want {
			t.Fatalf("Match(%q, %q) = %v, regexp %v", pattern, s, got, want)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
