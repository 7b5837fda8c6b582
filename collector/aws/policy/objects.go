package policy

import (
	"slices"
	"strings"
)

// ObjectTargets lists the object resources on which access to a bucket's contents is decided:
// first "<bucketARN>/*" (any key), then every narrower key or prefix that a Resource element of
// the given policies names inside that bucket ("<bucketARN>/flag.txt", "<bucketARN>/exports/*"),
// sorted and without duplicates. A grant on one key never matches "<bucketARN>/*", so callers
// that evaluate only the object space miss single-object grants; evaluating each named pattern
// as the request's resource finds them, and a Deny naming the same key or an enclosing prefix
// still matches it.
//
// Patterns whose key part is "*" or whose bucket part is "*" add nothing; patterns with policy variables
// ("home/${aws:username}/*") are skipped because their key depends on the caller. Nil policies
// are ignored.
func ObjectTargets(bucketARN string, pols ...*Policy) []string {
	all := bucketARN + "/*"
	out := []string{all}
	for _, p := range pols {
		if p == nil {
			continue
		}
		for _, st := range p.Statements {
			if st.NotResources {
				continue
			}
			for _, res := range st.Resources {
				_, key, ok := strings.Cut(res, "/")
				if !ok || key == "*" || key == "" || strings.Contains(res, "${") {
					continue
				}
				prefix := res[:len(res)-len(key)-1]
				// The bucket part is matched against the bucket's ARN as a pattern (it may hold
				// wildcards: "arn:aws:s3:::payroll-*/flag.txt"). A bucket part of "*" alone names
				// no bucket: such grants ("*/*aws-glue-*/*" in AWSGlueServiceRole) confine a
				// service to objects it names by convention in any bucket, and reading them as
				// access to every bucket's data would draw an edge to each bucket.
				_, name, _ := strings.Cut(prefix, ":s3:::")
				if !strings.Contains(prefix, ":s3:::") || strings.Trim(name, "*") == "" || !arnMatch(encodeWild(prefix), bucketARN) {
					continue
				}
				out = append(out, bucketARN+"/"+key)
			}
		}
	}
	rest := out[1:]
	slices.Sort(rest)
	return append(out[:1], slices.Compact(rest)...)
}
