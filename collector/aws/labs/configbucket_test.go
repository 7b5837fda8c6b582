package labs

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// object puts a text object into the bucket (by ARN).
func (e *estate) object(bucketARN, key, body string) {
	_, err := e.s3().PutObject(e.ctx, &s3.PutObjectInput{Bucket: s(bucketName(bucketARN)), Key: s(key), Body: strings.NewReader(body)})
	e.check("object "+key, err)
}

// objectCredential is the node id of a credential found at line of an
// object of a bucket.
func objectCredential(bucketARN, key, line string) string {
	loc := inventory.ObjectCredentialLocation(key)
	if line != "" {
		loc += ":line " + line
	}
	return inventory.CredentialNodeID(bucketARN, loc)
}

func init() {
	labs = append(labs, lab{
		name: "cloudgoat/ec2_ssrf-bucket-to-admin-keys",
		source: "CloudGoat ec2_ssrf, third step: the instance role reached through SSRF to IMDSv1 reads a private bucket holding an admin " +
			"user's access keys in a text file; with them the attacker acts as that user (the scenario then invokes the Lambda function)",
		services:   []string{fetch.ServiceEC2, fetch.ServiceS3},
		scanConfig: true,
		build: func(e *estate, variant bool) route {
			b := e.bucket("cg-secret-s3-bucket", nil, "")
			shepard := e.user("shepard", nil)
			e.attachUser("shepard", e.admin())
			keyID, _ := e.accessKey("shepard")
			e.object(b, "admin-user.txt", "[default]\naws_access_key_id = "+keyID+"\naws_secret_access_key = "+plantedSecretKey+"\n")
			e.object(b, "reports/readme.txt", "nothing here\n")
			grant := b + "/*"
			if variant { // the role's object grant covers another prefix only: the key file is out of its reach
				grant = b + "/reports/*"
			}
			role := e.role("ec2-role", trustService("ec2.amazonaws.com"), map[string]string{"s3": doc(allow([]string{"s3:ListBucket", "s3:GetObject"}, []string{b, grant}))})
			e.profile("ec2-profile", "ec2-role")
			n := e.vpc("10.21.0.0/16", "10.21.1.0/24", true, "0.0.0.0/0", 80)
			inst := e.instance(n, instanceOpts{profile: "ec2-profile", imdsV1: true, publicIP: true})
			cred := objectCredential(b, "admin-user.txt", "3")
			return route{from: graph.InternetID, via: []string{inst, role, cred, shepard, adminNode(e.account)}}
		},
	})
}
