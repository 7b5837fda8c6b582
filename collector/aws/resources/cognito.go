package resources

import (
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// Amazon Cognito (docs/aws-transform.md, "Cognito"). A user pool whose self
// sign-up is open and that has a public app client (no secret: the client
// id the web page ships is all SignUp needs) lets anyone become one of its
// users (aws:anonymous -> user pool). An identity pool that accepts that
// client's tokens hands its authenticated role to every such user (user
// pool -> identity pool -> role), and one that allows unauthenticated
// identities hands its unauthenticated role to anyone (aws:anonymous ->
// role). Each role move is drawn only when the role's trust policy lets
// cognito-identity.amazonaws.com assume it for that pool and kind of
// identity (aud = the pool id, amr = authenticated / unauthenticated).

// Techniques of the Cognito moves.
const (
	TechCognitoSelfSignUp        = "aws.cognito.self-sign-up"
	TechCognitoIdentityPoolLogin = "aws.cognito.identity-pool-login"
	TechCognitoAuthenticatedRole = "aws.cognito.authenticated-role"
	TechCognitoUnauthRole        = "aws.cognito.unauthenticated-role"
)

// Cognito finding rule ids.
const (
	RuleCognitoSelfSignUp  = "aws.cognito.user-pool-self-sign-up"
	RuleCognitoUnauthRoles = "aws.cognito.identity-pool-unauthenticated-role"
)

func init() {
	rules[RuleCognitoSelfSignUp] = rule{title: "Cognito user pool lets anyone sign up, and its tokens obtain AWS credentials", severity: graph.SeverityMedium,
		remediation: "Turn self sign-up off (AllowAdminCreateUserOnly) or stop accepting the pool's tokens in the identity pool; give the authenticated role only what any stranger may do.",
		fixEffort:   2}
	rules[RuleCognitoUnauthRoles] = rule{title: "Cognito identity pool hands AWS credentials to unauthenticated identities", severity: graph.SeverityHigh,
		remediation: "Disable unauthenticated identities on the identity pool, or give the unauthenticated role only what anyone on the Internet may do.",
		fixEffort:   1}
}

// cognitoIdentity is the service principal identity pools assume roles as.
const cognitoIdentity = "cognito-identity.amazonaws.com"

// cognito adds the user and identity pools and their moves.
func (b *builder) cognito() {
	for _, x := range b.regions {
		pools := map[string]*inventory.CognitoUserPool{} // "cognito-idp.<region>.amazonaws.com/<id>" -> pool
		for i := range x.d.CognitoUserPools {
			up := &x.d.CognitoUserPools[i]
			n := b.resource(b.userPoolID(x.name, up), graph.KindGroup, "AWS::Cognito::UserPool", "cognito", x.name, up.Name, up.Tags)
			n.Props["self_sign_up"] = !up.AdminCreateUserOnly
			pools["cognito-idp."+x.name+".amazonaws.com/"+up.ID] = up
		}
		for i := range x.d.CognitoIdentityPools {
			b.identityPool(x.name, &x.d.CognitoIdentityPools[i], pools)
		}
	}
}

// userPoolID is the node id of a user pool.
func (b *builder) userPoolID(region string, up *inventory.CognitoUserPool) string {
	return orARN(up.ARN, fmt.Sprintf("arn:%s:cognito-idp:%s:%s:userpool/%s", b.partition, region, b.account, up.ID))
}

// publicClients returns the app clients of a pool whose id alone signs users up and in.
func publicClients(up *inventory.CognitoUserPool) []inventory.CognitoPoolClient {
	var out []inventory.CognitoPoolClient
	for _, c := range up.Clients {
		if !c.HasSecret {
			out = append(out, c)
		}
	}
	return out
}

// identityPool adds one identity pool, the sign-up and login moves of the user pools it accepts,
// and the moves to its roles.
func (b *builder) identityPool(region string, ip *inventory.CognitoIdentityPool, pools map[string]*inventory.CognitoUserPool) {
	n := b.resource(ip.ARN, graph.KindServiceAccount, "AWS::Cognito::IdentityPool", "cognito", region, ip.Name, ip.Tags)
	n.Props["allow_unauthenticated"] = ip.AllowUnauthenticated
	if !ip.RolesRead {
		return // the roles are unknown (GetIdentityPoolRoles failed): no role move is drawn
	}
	if ip.UnauthenticatedRole != "" && ip.AllowUnauthenticated {
		if r, ok := b.cognitoAssume(ip, ip.UnauthenticatedRole, []string{"unauthenticated"}); ok {
			fid := b.flag(RuleCognitoUnauthRoles, ip.ARN, defaultSeverity, fmt.Sprintf("identity pool %s allows unauthenticated identities and gives them %s", ip.Name, ip.UnauthenticatedRole))
			b.anonymousNode()
			b.roleStub(ip.UnauthenticatedRole)
			b.edge(graph.Edge{From: AnonymousID, To: ip.UnauthenticatedRole, Kind: graph.EdgeAssumes, Technique: TechCognitoUnauthRole, Likelihood: 0.9,
				Conditional: r.Decision == policy.Conditional, Findings: []string{fid},
				Evidence: []string{fmt.Sprintf("identity pool %s (%s) allows unauthenticated identities; GetId and GetCredentialsForIdentity need only the pool id", ip.Name, ip.ID),
					fmt.Sprintf("trust of %s lets %s assume it with aud %s, amr unauthenticated: %s", ip.UnauthenticatedRole, cognitoIdentity, ip.ID, r.Decision)}})
		}
	}
	if ip.AuthenticatedRole == "" {
		return
	}
	for _, pr := range ip.Providers {
		up := pools[pr.ProviderName]
		if up == nil {
			continue
		}
		i := slices.IndexFunc(publicClients(up), func(c inventory.CognitoPoolClient) bool { return c.ID == pr.ClientID })
		if i < 0 {
			continue
		}
		client := publicClients(up)[i]
		r, ok := b.cognitoAssume(ip, ip.AuthenticatedRole, []string{"authenticated", pr.ProviderName, pr.ProviderName + ":CognitoSignIn:*"})
		if !ok {
			continue
		}
		upID := b.userPoolID(region, up)
		var fids []string
		if !up.AdminCreateUserOnly {
			fids = append(fids, b.flag(RuleCognitoSelfSignUp, upID, defaultSeverity,
				fmt.Sprintf("user pool %s allows self sign-up through public client %s, whose tokens identity pool %s exchanges for %s", up.Name, client.ID, ip.Name, ip.AuthenticatedRole)))
			b.anonymousNode()
			ev := []string{fmt.Sprintf("user pool %s allows self sign-up (AllowAdminCreateUserOnly false)", up.Name),
				fmt.Sprintf("app client %s (%s) has no secret: its id is all SignUp, ConfirmSignUp-by-code and InitiateAuth need", client.Name, client.ID)}
			if len(client.WriteAttributes) > 0 {
				ev = append(ev, "the client lets users write the attributes "+strings.Join(client.WriteAttributes, ", "))
			}
			b.edge(graph.Edge{From: AnonymousID, To: upID, Kind: graph.EdgeAuthenticates, Technique: TechCognitoSelfSignUp, Likelihood: 0.9,
				Findings: fids, Evidence: ev})
		}
		b.edge(graph.Edge{From: upID, To: ip.ARN, Kind: graph.EdgeAuthenticates, Technique: TechCognitoIdentityPoolLogin, Likelihood: 0.95,
			Findings: fids, Evidence: []string{fmt.Sprintf("identity pool %s accepts ID tokens of %s client %s", ip.Name, pr.ProviderName, pr.ClientID)}})
		conditional := r.Decision == policy.Conditional
		ev := []string{fmt.Sprintf("identity pool %s gives authenticated identities %s", ip.Name, ip.AuthenticatedRole),
			fmt.Sprintf("trust of %s lets %s assume it with aud %s, amr authenticated: %s", ip.AuthenticatedRole, cognitoIdentity, ip.ID, r.Decision)}
		if m, ok := ip.RoleMappings[pr.ProviderName+":"+pr.ClientID]; ok {
			// A rules or token mapping chooses the role first; the default role applies only
			// when no rule matches and AmbiguousRoleResolution says so.
			conditional = true
			ev = append(ev, fmt.Sprintf("conditional: a %s role mapping for this provider chooses the role first (rule roles %s)", m.Type, strings.Join(m.Roles, ", ")))
		}
		b.roleStub(ip.AuthenticatedRole)
		b.edge(graph.Edge{From: ip.ARN, To: ip.AuthenticatedRole, Kind: graph.EdgeAssumes, Technique: TechCognitoAuthenticatedRole, Likelihood: 0.9,
			Conditional: conditional, Findings: fids, Evidence: ev})
	}
}

// cognitoAssume decides whether the identity pool may hand out the role to an identity with
// these amr values (sts:AssumeRoleWithWebIdentity by cognito-identity.amazonaws.com).
func (b *builder) cognitoAssume(ip *inventory.CognitoIdentityPool, role string, amr []string) (policy.Result, bool) {
	trust := b.roleTrust(role)
	if trust == nil {
		return policy.Result{}, false
	}
	caller := policy.Principal{Type: policy.TypeFederated, ARN: cognitoIdentity, Name: cognitoIdentity}
	r := policy.CanAssume(caller, policy.PolicySet{}, trust, role, map[string][]string{
		cognitoIdentity + ":aud": {ip.ID}, cognitoIdentity + ":amr": amr})
	return r, r.Decision == policy.Allowed || r.Decision == policy.Conditional
}
