package resources

import "strings"

// ec2ARN builds the ARN of an EC2 resource the API names only by id.
func (b *builder) ec2ARN(region, typ, id string) string {
	return "arn:" + b.partition + ":ec2:" + region + ":" + b.account + ":" + typ + "/" + id
}

// orARN returns the ARN the inventory carries, or the built one when the
// API gave only an id.
func orARN(arn, built string) string {
	if arn != "" {
		return arn
	}
	return built
}

// accountNodeID is the id of the Account node. The account root ARN
// ("arn:aws:iam::<id>:root") is the root *user*, which the identity part
// owns, so the account itself gets the Organizations form of its ARN. The
// real one embeds the management account and organization ids, which a
// member account usually cannot read; the id therefore uses the account id
// in both places, which is stable whatever the collector can see.
func accountNodeID(partition, account string) string {
	return "arn:" + partition + ":organizations::" + account + ":account/" + account
}

// publicIPID is the id of the PublicEndpoint node for a public IPv4 address
// that is not an Elastic IP. AWS has no ARN for it; the address is globally
// unique while assigned, so the id is stable for as long as the exposure is.
func (b *builder) publicIPID(region, ip string) string {
	return b.ec2ARN(region, "public-ip", ip)
}

// arnAccount returns the account field of an ARN, "" when absent.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// arnRegion returns the region field of an ARN, "" when absent.
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[3]
}

// arnName returns the last path segment of an ARN's resource part.
func arnName(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	res := arn
	if len(parts) == 6 {
		res = parts[5]
	}
	if i := strings.LastIndexAny(res, "/:"); i >= 0 {
		return res[i+1:]
	}
	return res
}
