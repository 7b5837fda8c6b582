package fetch

import (
	"fmt"
	"strings"
	"testing"
)

func TestJoinReasonsKeepsOneFailedAreaOnOneShortLine(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{1, "r0"},
		{3, "r0; r1; r2"},
		{1000, "r0; r1; r2; and 997 more"},
	}
	for _, tt := range tests {
		rs := make([]string, tt.n)
		for i := range rs {
			rs[i] = fmt.Sprintf("r%d", i)
		}
		got := joinReasons(rs)
		if got != tt.want {
			t.Errorf("joinReasons(%d reasons) = %q, want %q", tt.n, got, tt.want)
		}
		if strings.Contains(got, "\n") {
			t.Errorf("joinReasons spans lines: %q", got)
		}
	}
}
