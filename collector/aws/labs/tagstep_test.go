package labs

import (
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/breachpath/breachpath/collector/aws/fetch"
)

// CloudGoat iam_privesc_by_ec2 (published README and cheat sheet): the starting user may delete
// EC2 tags and assume a management role; the role may stop, modify and start instances, but
// only those whose Name tag is not the admin instance's. The user deletes that tag, assumes the
// role, rewrites the admin instance's user data and takes over its administrator role. The tag
// change is made by one principal and the move by another it can become.
func init() {
	labs = append(labs, lab{
		name: "cloudgoat/iam_privesc_by_ec2-untag-then-modify-user-data",
		source: "CloudGoat iam_privesc_by_ec2: cg_dev_user (ec2:DeleteTags, sts:AssumeRole on cg_ec2_management_role) removes the " +
			"admin instance's Name tag so that the role's StringNotEquals aws:ResourceTag/Name condition holds, assumes the role, " +
			"stops the instance, replaces its user data and starts it, then uses the instance's administrator role",
		services: []string{fetch.ServiceEC2},
		build: func(e *estate, variant bool) route {
			devActions := []string{"ec2:DeleteTags", "ec2:DescribeInstances"}
			if variant { // the one change: the user may not delete tags
				devActions = []string{"ec2:DescribeInstances"}
			}
			dev := e.user("cg_dev_user", map[string]string{"ec2": doc(allow(devActions, "*")),
				"assume": doc(allow("sts:AssumeRole", e.arn("iam", "role/cg_ec2_management_role")))})
			e.role("cg_ec2_management_role", trust(map[string]any{"AWS": dev}), map[string]string{"manage": doc(map[string]any{
				"Effect": "Allow", "Action": []string{"ec2:StartInstances", "ec2:StopInstances", "ec2:ModifyInstanceAttribute"}, "Resource": "*",
				"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:ResourceTag/Name": "cg_admin_ec2"}}})})
			admin := e.role("cg_ec2_role", trustService("ec2.amazonaws.com"), nil, e.admin())
			n := e.vpc("10.45.0.0/16", "10.45.1.0/24", false, "")
			inst := e.instance(n, instanceOpts{profile: e.profile("cg_ec2_role_profile", "cg_ec2_role")})
			_, err := e.ec2().CreateTags(e.ctx, &ec2.CreateTagsInput{Resources: []string{instanceID(inst)},
				Tags: []ec2types.Tag{{Key: s("Name"), Value: s("cg_admin_ec2")}}})
			e.check("instance tag", err)
			return route{from: dev, via: []string{inst, admin}}
		},
	})
}
