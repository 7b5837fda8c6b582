package fetch

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// BenchmarkCollectMoto5k collects a moto account seeded with about 5,000
// resources (plus moto's built-in snapshots). It runs only with
// BREACHPATH_BENCH_AWS=1 and a moto endpoint; scripts/bench-aws-collect.sh
// sets both.
func BenchmarkCollectMoto5k(b *testing.B) {
	if os.Getenv("BREACHPATH_BENCH_AWS") == "" {
		b.Skip("set BREACHPATH_BENCH_AWS=1 (scripts/bench-aws-collect.sh) to run the moto collection benchmark")
	}
	ep := motoEndpoint(b)
	ctx := context.Background()
	cfg := testConfig("AKIAIOSFODNN7EXAMPLE")
	cfg.BaseEndpoint = aws.String(ep)
	seeded := seedBulk(b, ctx, cfg)
	b.Logf("seeded %d resources", seeded)

	opts := Options{Endpoint: ep, Regions: []string{"us-east-1"}, Logger: quietLogger(), Concurrency: 4}
	var resources, calls int
	b.ResetTimer()
	for b.Loop() {
		inv, err := Collect(ctx, testConfig("AKIAIOSFODNN7EXAMPLE"), opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(inv.Coverage.Failed) > 0 {
			b.Fatalf("failed areas: %+v", inv.Coverage.Failed)
		}
		resources, calls = inv.Stats.Resources, inv.Stats.APICalls
	}
	b.StopTimer()
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(resources), "resources/op")
	b.ReportMetric(float64(calls), "api-calls/op")
	b.ReportMetric(float64(resources)/perOp, "resources/s")
}

// seedBulk creates roughly 5,000 resources across IAM, EC2, S3, SQS and SNS.
func seedBulk(b *testing.B, ctx context.Context, cfg aws.Config) int {
	ic, ec, sc := iam.NewFromConfig(cfg), ec2.NewFromConfig(cfg), s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	qc, nc := sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg)
	vpc, err := ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
	if err != nil {
		b.Fatal(err)
	}
	type task func(i int) error
	tasks := []struct {
		n  int
		fn task
	}{
		{600, func(i int) error {
			_, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("user-%04d", i))})
			return err
		}},
		{600, func(i int) error {
			_, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("role-%04d", i)), AssumeRolePolicyDocument: aws.String(trustService("ec2.amazonaws.com"))})
			return err
		}},
		{600, func(i int) error {
			_, err := ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("policy-%04d", i)),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
			return err
		}},
		{600, func(i int) error {
			_, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(fmt.Sprintf("sg-%04d", i)), Description: aws.String("bench"), VpcId: vpc.Vpc.VpcId})
			return err
		}},
		{400, func(i int) error {
			_, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(fmt.Sprintf("bench-bucket-%04d", i))})
			return err
		}},
		{600, func(i int) error {
			_, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("queue-%04d", i))})
			return err
		}},
		{600, func(i int) error {
			_, err := nc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(fmt.Sprintf("topic-%04d", i))})
			return err
		}},
	}
	total := 0
	for _, t := range tasks {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		sem := make(chan struct{}, 8)
		for i := 0; i < t.n; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := t.fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if first != nil {
			b.Fatalf("seed: %v", first)
		}
		total += t.n
	}
	return total + 1
}
