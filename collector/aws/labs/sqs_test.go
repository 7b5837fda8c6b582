package labs

import (
	"encoding/base64"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/breachpath/breachpath/collector/aws/fetch"
)

// CloudGoat sqs_flag_shop (scenarios/aws/sqs_flag_shop: README, cheat sheet, terraform): the
// player's user may assume cg-sqs-send-message, which may sqs:SendMessage to cash_charging_queue.
// The queue is an event source of the cache-charge function (batch size 1); the function, in the
// VPC, forwards each message's charge_amount with its auth value to the shop's web application on
// the instance (5000/tcp, admitted from the function's group), which adds it to the balance in the
// MySQL database (3306/tcp from the instance's subnet) that also holds the flag item. The forged
// message buys the flag.
func init() {
	labs = append(labs, lab{
		name: "cloudgoat/sqs_flag_shop",
		source: "CloudGoat sqs_flag_shop: cg-sqs-user -[sts:AssumeRole]-> cg-sqs-send-message -[sqs:SendMessage to cash_charging_queue, " +
			"the event source of cache-charge: conditional on the code]-> cache-charge function -[5000/tcp]-> shop instance -[3306/tcp]-> " +
			"the shop's database (the flag item); one change: the role may only sqs:GetQueueUrl",
		services: []string{fetch.ServiceEC2, fetch.ServiceLambda, fetch.ServiceSQS, fetch.ServiceRDS},
		build: func(e *estate, variant bool) route {
			v := e.newVPC("10.10.0.0/16")
			public1, private1, private2 := v.subnet("10.10.10.0/24", "a"), v.subnet("10.10.30.0/24", "a"), v.subnet("10.10.40.0/24", "b")
			lambdaSG := v.group("cg-lambda")
			whitelist := []string{"10.10.0.0/16", "198.51.100.7/32"}
			ec2SG := v.group("cg-ec2", tcp(22, whitelist), tcp(5000, whitelist), tcp(5000, nil, lambdaSG))
			rdsSG := v.group("cg-rds-mysql", tcp(3306, []string{"10.10.10.0/24", "10.10.20.0/24", "10.10.30.0/24", "10.10.40.0/24"}), tcp(3306, []string{"198.51.100.7/32"}))

			user := e.user("cg-sqs-user", map[string]string{"cg-sqs-scenario-assumed-role": doc(allow([]string{"iam:Get*", "iam:List*"}, "*"),
				allow("sts:AssumeRole", e.arn("iam", "role/cg-sqs-send-message")))})
			queueARN := e.arn("sqs", "cash_charging_queue")
			sendActions := []string{"sqs:GetQueueUrl", "sqs:SendMessage"}
			if variant { // the one change: the role may look the queue up but not send to it
				sendActions = []string{"sqs:GetQueueUrl"}
			}
			sendRole := e.role("cg-sqs-send-message", trust(map[string]any{"AWS": user}), map[string]string{"cg-sqs": doc(allow(sendActions, queueARN))})
			lambdaRole := e.role("cg-sqs-lambda", trustService("lambda.amazonaws.com"), map[string]string{"logs": doc(allow([]string{
				"logs:CreateLogStream", "logs:PutLogEvents", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}, "*"))})

			_, err := sqs.NewFromConfig(e.cfg).CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: s("cash_charging_queue"),
				Attributes: map[string]string{string(sqstypes.QueueAttributeNameMaximumMessageSize): "1024"}})
			e.check("queue", err)

			shop := e.instance(network{vpc: v.id, subnet: public1, sg: ec2SG}, instanceOpts{publicIP: true, tags: map[string]string{"Name": "cg-linux-ec2"}})
			rc := rds.NewFromConfig(e.cfg)
			_, err = rc.CreateDBSubnetGroup(e.ctx, &rds.CreateDBSubnetGroupInput{DBSubnetGroupName: s("cg-rds-subnet-group"), DBSubnetGroupDescription: s("lab"),
				SubnetIds: []string{private1, private2}})
			e.check("db subnet group", err)
			db, err := rc.CreateDBInstance(e.ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: s("cg-rds"), DBInstanceClass: s("db.t3.micro"),
				Engine: s("mysql"), DBName: s("cash"), MasterUsername: s("cgadmin"), MasterUserPassword: s("Lab-db-Passw0rd"), AllocatedStorage: sdkaws.Int32(20),
				Port: sdkaws.Int32(3306), StorageEncrypted: sdkaws.Bool(true), VpcSecurityGroupIds: []string{rdsSG}, DBSubnetGroupName: s("cg-rds-subnet-group"),
				Tags: []rdstypes.Tag{{Key: s("data-classification"), Value: s("restricted")}}})
			e.check("db", err)

			lc := lambda.NewFromConfig(e.cfg)
			fn, err := lc.CreateFunction(e.ctx, &lambda.CreateFunctionInput{FunctionName: s("cache-charge"), Role: s(lambdaRole),
				Runtime: lambdatypes.RuntimePython312, Handler: s("lambda_function.lambda_handler"), Code: &lambdatypes.FunctionCode{ZipFile: lambdaZip()},
				Timeout: sdkaws.Int32(15), Environment: &lambdatypes.Environment{Variables: map[string]string{
					"web_url": "http://10.10.10.10:5000/sqs_process", "auth": base64.StdEncoding.EncodeToString([]byte("lab"))}},
				VpcConfig: &lambdatypes.VpcConfig{SubnetIds: []string{public1}, SecurityGroupIds: []string{lambdaSG}}})
			e.check("function", err)
			_, err = lc.CreateEventSourceMapping(e.ctx, &lambda.CreateEventSourceMappingInput{EventSourceArn: s(queueARN),
				FunctionName: fn.FunctionArn, BatchSize: sdkaws.Int32(1)})
			e.check("event source mapping", err)
			return route{from: user, via: []string{sendRole, *fn.FunctionArn, shop, *db.DBInstance.DBInstanceArn}}
		},
	})
}
