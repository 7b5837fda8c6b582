package labs

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	idptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/collector/aws/identity"
)

// CloudGoat vulnerable_cognito (README, cheat sheet, Terraform): the web app's user pool allows
// self sign-up through a public app client (the client id is in the page's source); the client
// validates the e-mail domain only in the browser, so the attacker signs up with the AWS CLI. The
// identity pool accepts that client's tokens and hands every authenticated identity its
// authenticated role. (The lab's custom:access attribute, writable by the client, only changes
// which page the app shows: the identity pool has no role mapping on it.)
func init() {
	labs = append(labs, lab{
		name: "cloudgoat/vulnerable_cognito",
		source: "CloudGoat vulnerable_cognito: anyone signs up to the user pool with the public client id, logs in, and exchanges " +
			"the ID token at the identity pool for the authenticated role's credentials (trust: cognito-identity.amazonaws.com, " +
			"aud = the pool id, amr authenticated)",
		services: []string{fetch.ServiceCognito},
		build: func(e *estate, variant bool) route {
			// the one change: only administrators create users
			upID, providerName, clientID := e.userPool("CognitoCTF", variant)
			poolID := e.identityPool("cognito_identitypool", false, providerName, clientID)
			auth := e.role("cognito_authenticated", e.cognitoTrust(poolID, "authenticated"), map[string]string{"authenticated_policy": doc(
				allow([]string{"s3:*", "cognito-idp:*", "cognito-identity:*", "lambda:*"}, "*"))})
			e.poolRoles = map[string]map[string]string{poolID: {"authenticated": auth}}
			return route{from: identity.AnonymousID, via: []string{e.arn("cognito-idp", "userpool/"+upID), e.arn("cognito-identity", "identitypool/"+poolID), auth}}
		},
	}, lab{
		name: "breachpath/cognito-unauthenticated-identities",
		source: "not a published lab: the classic Cognito misconfiguration behind CloudGoat vulnerable_cognito's family (AWS Cognito " +
			"developer guide, guest access): an identity pool allowing unauthenticated identities hands its unauthenticated role to anyone " +
			"who knows the pool id",
		services: []string{fetch.ServiceCognito},
		build: func(e *estate, variant bool) route {
			// the one change: the role trusts authenticated identities only
			amr := "unauthenticated"
			if variant {
				amr = "authenticated"
			}
			poolID := e.identityPool("guest_pool", true, "", "")
			guest := e.role("cognito_unauthenticated", e.cognitoTrust(poolID, amr), map[string]string{"p": doc(allow("s3:ListAllMyBuckets", "*"))})
			e.poolRoles = map[string]map[string]string{poolID: {"unauthenticated": guest}}
			return route{from: identity.AnonymousID, via: []string{guest}}
		},
	})
}

// userPool creates a user pool with a public app client (no secret) and returns the pool id,
// its provider name and the client id.
func (e *estate) userPool(name string, adminOnly bool) (id, provider, client string) {
	c := cognitoidentityprovider.NewFromConfig(e.cfg)
	p, err := c.CreateUserPool(e.ctx, &cognitoidentityprovider.CreateUserPoolInput{PoolName: s(name),
		AdminCreateUserConfig: &idptypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: adminOnly},
		Schema:                []idptypes.SchemaAttributeType{{Name: s("access"), AttributeDataType: idptypes.AttributeDataTypeString, Mutable: boolp(true)}}})
	e.check("user pool "+name, err)
	id = *p.UserPool.Id
	cl, err := c.CreateUserPoolClient(e.ctx, &cognitoidentityprovider.CreateUserPoolClientInput{UserPoolId: s(id), ClientName: s(name + "-client"),
		GenerateSecret: false, ExplicitAuthFlows: []idptypes.ExplicitAuthFlowsType{idptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, idptypes.ExplicitAuthFlowsTypeAllowUserSrpAuth},
		WriteAttributes: []string{"custom:access", "email", "given_name", "family_name"}})
	e.check("user pool client", err)
	return id, "cognito-idp." + e.rg() + ".amazonaws.com/" + id, *cl.UserPoolClient.ClientId
}

// identityPool creates an identity pool accepting the user pool client (when given) and returns its id.
func (e *estate) identityPool(name string, unauthenticated bool, provider, client string) string {
	in := &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: s(name), AllowUnauthenticatedIdentities: unauthenticated, AllowClassicFlow: boolp(true)}
	if provider != "" {
		in.CognitoIdentityProviders = []citypes.CognitoIdentityProvider{{ProviderName: s(provider), ClientId: s(client), ServerSideTokenCheck: boolp(false)}}
	}
	out, err := cognitoidentity.NewFromConfig(e.cfg).CreateIdentityPool(e.ctx, in)
	e.check("identity pool "+name, err)
	return *out.IdentityPoolId
}

// cognitoTrust is the trust policy the Cognito console writes for an identity pool's role.
func (e *estate) cognitoTrust(poolID, amr string) string {
	return doc(map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": "cognito-identity.amazonaws.com"},
		"Action": "sts:AssumeRoleWithWebIdentity", "Condition": map[string]any{
			"StringEquals":           map[string]any{"cognito-identity.amazonaws.com:aud": poolID},
			"ForAnyValue:StringLike": map[string]any{"cognito-identity.amazonaws.com:amr": amr}}})
}

func boolp(v bool) *bool { return &v }

// cognitoRolesProxy forwards to moto but answers GetIdentityPoolRoles (which moto 5.1 does not
// implement) in the Cognito Identity API's documented JSON shape, from roles.
func cognitoRolesProxy(t *testing.T, moto string, roles map[string]map[string]string) string {
	t.Helper()
	target, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AWSCognitoIdentityService.GetIdentityPoolRoles" {
			rp.ServeHTTP(w, r)
			return
		}
		var in struct{ IdentityPoolId string }
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &in); err != nil || roles[in.IdentityPoolId] == nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"ResourceNotFoundException","message":"identity pool not found"}`))
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]any{"IdentityPoolId": in.IdentityPoolId, "Roles": roles[in.IdentityPoolId]})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
