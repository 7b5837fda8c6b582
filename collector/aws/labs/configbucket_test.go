package labs

import (
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/collector/aws/identity"
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

// objectACLLab seeds a private configuration bucket (ACLs enabled, no
// bucket policy, no public bucket ACL) holding a .env file with a deploy
// user's access key, whose object ACL is public-read; the deploy user is an
// administrator. change, in the variant, is the one change that must remove
// the anonymous read.
func objectACLLab(e *estate, change func(e *estate, bucket, key string)) route {
	b := e.bucket("app-config", nil, "")
	name := bucketName(b)
	_, err := e.s3().PutBucketOwnershipControls(e.ctx, &s3.PutBucketOwnershipControlsInput{Bucket: s(name),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipObjectWriter}}}})
	e.check("ownership controls", err)
	_, err = e.s3().PutPublicAccessBlock(e.ctx, &s3.PutPublicAccessBlockInput{Bucket: s(name), PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
		BlockPublicAcls: sdkaws.Bool(false), IgnorePublicAcls: sdkaws.Bool(false), BlockPublicPolicy: sdkaws.Bool(true), RestrictPublicBuckets: sdkaws.Bool(true)}})
	e.check("public access block", err)
	deployer := e.user("deployer", nil)
	e.attachUser("deployer", e.admin())
	keyID, _ := e.accessKey("deployer")
	key := "prod/app.env"
	e.object(b, key, "APP_ENV=prod\nAWS_ACCESS_KEY_ID="+keyID+"\nAWS_SECRET_ACCESS_KEY="+plantedSecretKey+"\n")
	e.object(b, "prod/readme.txt", "nothing here\n")
	_, err = e.s3().PutObjectAcl(e.ctx, &s3.PutObjectAclInput{Bucket: s(name), Key: s(key), ACL: s3types.ObjectCannedACLPublicRead})
	e.check("object acl", err)
	if change != nil {
		change(e, name, key)
	}
	return route{from: identity.AnonymousID, via: []string{objectCredential(b, key, "3"), deployer, adminNode(e.account)}}
}

func init() {
	source := "AWS S3 guide 'Access control list (ACL) overview' (an object's own ACL granting READ to the AllUsers group " +
		"makes that object public in a private bucket, while object ownership lets ACLs work and Block Public Access " +
		"does not ignore public ACLs) and issue 14 (credentials left in configuration objects); an anonymous reader " +
		"fetches the .env file, then acts as the deploy user whose key it holds"
	labs = append(labs,
		lab{
			name:       "breachpath/public-read-object-acl-leaks-key-in-private-bucket",
			source:     source,
			services:   []string{fetch.ServiceS3},
			scanConfig: true,
			build: func(e *estate, variant bool) route {
				if !variant {
					return objectACLLab(e, nil)
				}
				// The one change: the object's ACL back to private.
				return objectACLLab(e, func(e *estate, bucket, key string) {
					_, err := e.s3().PutObjectAcl(e.ctx, &s3.PutObjectAclInput{Bucket: s(bucket), Key: s(key), ACL: s3types.ObjectCannedACLPrivate})
					e.check("object acl private", err)
				})
			},
		},
		lab{
			name:       "breachpath/public-read-object-acl-ignored-by-block-public-access",
			source:     source + "; the variant turns IgnorePublicAcls on, which makes S3 disregard the public grant",
			services:   []string{fetch.ServiceS3},
			scanConfig: true,
			build: func(e *estate, variant bool) route {
				if !variant {
					return objectACLLab(e, nil)
				}
				return objectACLLab(e, func(e *estate, bucket, _ string) {
					_, err := e.s3().PutPublicAccessBlock(e.ctx, &s3.PutPublicAccessBlockInput{Bucket: s(bucket), PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
						BlockPublicAcls: sdkaws.Bool(false), IgnorePublicAcls: sdkaws.Bool(true), BlockPublicPolicy: sdkaws.Bool(true), RestrictPublicBuckets: sdkaws.Bool(true)}})
					e.check("ignore public acls", err)
				})
			},
		},
	)
}
