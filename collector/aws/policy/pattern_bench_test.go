package policy

import (
	"fmt"
	"testing"
)

// BenchmarkEvaluateWildcardPatterns evaluates requests whose outcome rests on
// wildcard matching: resource ARN patterns with `*` and `?` in several
// segments, a policy-variable resource and StringLike/ArnLike conditions, so
// that a slower pattern matcher shows here before it shows in collection.
func BenchmarkEvaluateWildcardPatterns(b *testing.B) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::logs-*/2026/??/*","arn:aws:s3:::data/${aws:username}/*"]},
		{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::upload-*/*","Condition":{"StringLike":{"s3:prefix":["home/*","shared/team-?/*"]}}},
		{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:` + acct + `:queue-*-prod","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:` + acct + `:topic-*"}}},
		{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*secret*/*"}]}`
	set := PolicySet{Identity: []*Policy{pol("id:wild", doc)}}
	ctx := map[string][]string{"s3:prefix": {"shared/team-a/report.csv"}, "aws:SourceArn": {"arn:aws:sns:eu-west-1:" + acct + ":topic-orders"}}
	var reqs []Request
	for i := 0; i < 64; i++ {
		for _, r := range []struct{ act, res string }{
			{"s3:GetObject", fmt.Sprintf("arn:aws:s3:::logs-app%d/2026/%02d/part-%d.gz", i, i%12+1, i)},
			{"s3:GetObject", fmt.Sprintf("arn:aws:s3:::data/alice/file-%d", i)},
			{"s3:GetObject", fmt.Sprintf("arn:aws:s3:::my-secret-bucket-%d/k", i)},
			{"s3:PutObject", fmt.Sprintf("arn:aws:s3:::upload-%d/shared/team-a/x", i)},
			{"sqs:SendMessage", fmt.Sprintf("arn:aws:sqs:eu-west-1:%s:queue-%d-prod", acct, i)},
			{"sqs:SendMessage", fmt.Sprintf("arn:aws:sqs:eu-west-1:%s:queue-%d-dev", acct, i)},
		} {
			reqs = append(reqs, Request{Principal: alice, Action: r.act, Resource: r.res, ResourceAccount: acct, Context: ctx})
		}
	}
	var ev Evaluator
	for _, r := range reqs { // warm the per-policy caches outside the timer
		ev.Evaluate(r, set)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for _, r := range reqs {
			ev.Evaluate(r, set)
		}
	}
}
