package fetch

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// cognitoPage is the page size of the Cognito list calls (their maximum is 60).
const cognitoPage = 60

// collectCognito reads user pools (self sign-up setting, app clients) and
// identity pools (accepted providers, unauthenticated access, roles). A
// failed per-pool read is recorded on the pool; a failed list fails the area.
func (s *session) collectCognito(ctx context.Context, region string, rd *inventory.RegionData) error {
	idp := cognitoidentityprovider.NewFromConfig(s.cfg, func(o *cognitoidentityprovider.Options) { o.Region = region })
	up := cognitoidentityprovider.NewListUserPoolsPaginator(idp, &cognitoidentityprovider.ListUserPoolsInput{MaxResults: aws.Int32(cognitoPage)})
	for up.HasMorePages() {
		page, err := up.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("cognito-idp ListUserPools: %w", err)
		}
		for _, d := range page.UserPools {
			rd.CognitoUserPools = append(rd.CognitoUserPools, s.userPool(ctx, idp, aws.ToString(d.Id), aws.ToString(d.Name)))
		}
	}
	ci := cognitoidentity.NewFromConfig(s.cfg, func(o *cognitoidentity.Options) { o.Region = region })
	ip := cognitoidentity.NewListIdentityPoolsPaginator(ci, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(cognitoPage)})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("cognito-identity ListIdentityPools: %w", err)
		}
		for _, d := range page.IdentityPools {
			rd.CognitoIdentityPools = append(rd.CognitoIdentityPools, s.identityPool(ctx, ci, region, aws.ToString(d.IdentityPoolId), aws.ToString(d.IdentityPoolName)))
		}
	}
	return nil
}

// userPool describes one user pool and its app clients (never a client secret: only
// whether there is one).
func (s *session) userPool(ctx context.Context, c *cognitoidentityprovider.Client, id, name string) inventory.CognitoUserPool {
	p := inventory.CognitoUserPool{ID: id, Name: name}
	out, err := c.DescribeUserPool(ctx, &cognitoidentityprovider.DescribeUserPoolInput{UserPoolId: aws.String(id)})
	if err != nil {
		p.Errors = append(p.Errors, "describe: "+err.Error())
		return p
	}
	if u := out.UserPool; u != nil {
		p.ARN = aws.ToString(u.Arn)
		p.AdminCreateUserOnly = u.AdminCreateUserConfig != nil && u.AdminCreateUserConfig.AllowAdminCreateUserOnly
		if len(u.UserPoolTags) > 0 {
			p.Tags = inventory.Tags(u.UserPoolTags)
		}
	}
	cp := cognitoidentityprovider.NewListUserPoolClientsPaginator(c, &cognitoidentityprovider.ListUserPoolClientsInput{UserPoolId: aws.String(id), MaxResults: aws.Int32(cognitoPage)})
	for cp.HasMorePages() {
		page, err := cp.NextPage(ctx)
		if err != nil {
			p.Errors = append(p.Errors, "clients: "+err.Error())
			return p
		}
		for _, d := range page.UserPoolClients {
			co, err := c.DescribeUserPoolClient(ctx, &cognitoidentityprovider.DescribeUserPoolClientInput{UserPoolId: aws.String(id), ClientId: d.ClientId})
			if err != nil || co.UserPoolClient == nil {
				p.Errors = append(p.Errors, fmt.Sprintf("client %s: %v", aws.ToString(d.ClientId), err))
				continue
			}
			u := co.UserPoolClient
			pc := inventory.CognitoPoolClient{ID: aws.ToString(u.ClientId), Name: aws.ToString(u.ClientName), HasSecret: aws.ToString(u.ClientSecret) != "",
				WriteAttributes: u.WriteAttributes}
			for _, f := range u.ExplicitAuthFlows {
				pc.ExplicitAuthFlows = append(pc.ExplicitAuthFlows, string(f))
			}
			p.Clients = append(p.Clients, pc)
		}
	}
	return p
}

// identityPool describes one identity pool and reads its roles. moto 5.1 does not implement
// GetIdentityPoolRoles: against it the roles read fails and is recorded on the pool.
func (s *session) identityPool(ctx context.Context, c *cognitoidentity.Client, region, id, name string) inventory.CognitoIdentityPool {
	p := inventory.CognitoIdentityPool{ID: id, Name: name,
		ARN: fmt.Sprintf("arn:%s:cognito-identity:%s:%s:identitypool/%s", s.inv.Partition, region, s.inv.AccountID, id)}
	out, err := c.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(id)})
	if err != nil {
		p.Errors = append(p.Errors, "describe: "+err.Error())
		return p
	}
	p.AllowUnauthenticated = out.AllowUnauthenticatedIdentities
	p.AllowClassicFlow = aws.ToBool(out.AllowClassicFlow)
	if len(out.IdentityPoolTags) > 0 {
		p.Tags = inventory.Tags(out.IdentityPoolTags)
	}
	for _, pr := range out.CognitoIdentityProviders {
		p.Providers = append(p.Providers, inventory.CognitoPoolProvider{ProviderName: aws.ToString(pr.ProviderName), ClientID: aws.ToString(pr.ClientId)})
	}
	roles, err := c.GetIdentityPoolRoles(ctx, &cognitoidentity.GetIdentityPoolRolesInput{IdentityPoolId: aws.String(id)})
	if err != nil {
		p.Errors = append(p.Errors, "roles: "+err.Error())
		return p
	}
	p.RolesRead = true
	p.AuthenticatedRole, p.UnauthenticatedRole = roles.Roles["authenticated"], roles.Roles["unauthenticated"]
	for provider, m := range roles.RoleMappings {
		rm := inventory.CognitoRoleMapping{Type: string(m.Type)}
		if m.RulesConfiguration != nil {
			for _, r := range m.RulesConfiguration.Rules {
				rm.Roles = append(rm.Roles, aws.ToString(r.RoleARN))
			}
		}
		if p.RoleMappings == nil {
			p.RoleMappings = map[string]inventory.CognitoRoleMapping{}
		}
		p.RoleMappings[provider] = rm
	}
	return p
}
