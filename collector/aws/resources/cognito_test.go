package resources

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// TestCognitoMovesFollowSignUpClientsAndRoleTrust: anyone reaches an identity pool's
// authenticated role through a user pool only when the pool lets anyone sign up through a public
// client the identity pool accepts, and the role's trust admits cognito-identity.amazonaws.com
// for that pool (aud) and authenticated identities (amr); the unauthenticated role is anyone's
// when the pool allows guests and the trust admits them. Signing up that leads to no role is not
// drawn (nor flagged).
func TestCognitoMovesFollowSignUpClientsAndRoleTrust(t *testing.T) {
	const poolID, upID = "us-east-1:pool-1", "us-east-1_ABC"
	upARN := "arn:aws:cognito-idp:us-east-1:" + acct + ":userpool/" + upID
	ipARN := "arn:aws:cognito-identity:us-east-1:" + acct + ":identitypool/" + poolID
	auth, guest := "arn:aws:iam::"+acct+":role/auth", "arn:aws:iam::"+acct+":role/guest"
	trust := func(aud, amr string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity",` +
			`"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + aud + `"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"` + amr + `"}}}]}`
	}
	tests := []struct {
		name                     string
		adminOnly, secret        bool
		authTrust, guestTrust    string
		allowGuests, rolesUnread bool
		mapping                  bool
		signUp, authRole, guestR bool
		authConditional          bool
	}{
		{name: "open sign-up, public client, trusting role", authTrust: trust(poolID, "authenticated"), signUp: true, authRole: true},
		{name: "admin-only user pool", adminOnly: true, authTrust: trust(poolID, "authenticated"), authRole: true},
		{name: "client with a secret", secret: true, authTrust: trust(poolID, "authenticated")},
		{name: "role trusts another identity pool", authTrust: trust("us-east-1:other", "authenticated")},
		{name: "roles not read", authTrust: trust(poolID, "authenticated"), rolesUnread: true},
		{name: "rules mapping chooses first", authTrust: trust(poolID, "authenticated"), mapping: true, signUp: true, authRole: true, authConditional: true},
		{name: "guests allowed, trusted", authTrust: trust(poolID, "authenticated"), guestTrust: trust(poolID, "unauthenticated"), allowGuests: true, signUp: true, authRole: true, guestR: true},
		{name: "guests allowed, role trusts authenticated only", authTrust: trust(poolID, "authenticated"), guestTrust: trust(poolID, "authenticated"), allowGuests: true, signUp: true, authRole: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := fixture()
			inv.IAM.Roles = append(inv.IAM.Roles, inventory.Role{ARN: auth, Name: "auth", TrustPolicy: tt.authTrust})
			if tt.guestTrust != "" {
				inv.IAM.Roles = append(inv.IAM.Roles, inventory.Role{ARN: guest, Name: "guest", TrustPolicy: tt.guestTrust})
			}
			r := inv.Region(region)
			r.CognitoUserPools = []inventory.CognitoUserPool{{ID: upID, ARN: upARN, Name: "app", AdminCreateUserOnly: tt.adminOnly,
				Clients: []inventory.CognitoPoolClient{{ID: "client-1", Name: "web", HasSecret: tt.secret}}}}
			provider := "cognito-idp.us-east-1.amazonaws.com/" + upID
			ip := inventory.CognitoIdentityPool{ID: poolID, ARN: ipARN, Name: "ids", AllowUnauthenticated: tt.allowGuests, RolesRead: !tt.rolesUnread,
				Providers: []inventory.CognitoPoolProvider{{ProviderName: provider, ClientID: "client-1"}}, AuthenticatedRole: auth}
			if tt.guestTrust != "" {
				ip.UnauthenticatedRole = guest
			}
			if tt.mapping {
				ip.RoleMappings = map[string]inventory.CognitoRoleMapping{provider + ":client-1": {Type: "Rules", Roles: []string{guest}}}
			}
			r.CognitoIdentityPools = []inventory.CognitoIdentityPool{ip}
			p := build(t, inv, Options{})
			if got := findEdge(p, AnonymousID, string(graph.EdgeAuthenticates), upARN) != nil; got != tt.signUp {
				t.Errorf("sign-up edge = %v, want %v", got, tt.signUp)
			}
			e := findEdge(p, ipARN, string(graph.EdgeAssumes), auth)
			if (e != nil) != tt.authRole {
				t.Fatalf("authenticated role edge = %v, want %v", e != nil, tt.authRole)
			}
			if e != nil && e.Conditional != tt.authConditional {
				t.Errorf("authenticated role edge conditional = %v, want %v", e.Conditional, tt.authConditional)
			}
			if got := findEdge(p, AnonymousID, string(graph.EdgeAssumes), guest) != nil; got != tt.guestR {
				t.Errorf("unauthenticated role edge = %v, want %v", got, tt.guestR)
			}
			if tt.signUp != hasFinding(p, RuleCognitoSelfSignUp, upARN) {
				t.Errorf("self sign-up finding = %v, want %v", !tt.signUp, tt.signUp)
			}
		})
	}
}
