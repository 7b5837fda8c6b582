package inventory

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// Entra holds the directory objects read from Microsoft Graph (v1.0 shapes).
type Entra struct {
	Users             []User                    `json:"users,omitempty"`
	Groups            []Group                   `json:"groups,omitempty"`
	ServicePrincipals []ServicePrincipal        `json:"servicePrincipals,omitempty"`
	Applications      []Application             `json:"applications,omitempty"`
	RoleAssignments   []DirectoryRoleAssignment `json:"directoryRoleAssignments,omitempty"`
	// RoleNames maps directory role definition ids (template ids) to names.
	RoleNames          map[string]string   `json:"directoryRoleNames,omitempty"`
	AppRoleAssignments []AppRoleAssignment `json:"appRoleAssignments,omitempty"`
	// AdministrativeUnits are the directory's administrative units with
	// their direct members; AdministrativeUnitsRead is set when they were
	// read, so that a role scoped to an unit can be resolved (an export
	// without them leaves such roles unresolved rather than empty).
	AdministrativeUnits     []AdministrativeUnit `json:"administrativeUnits,omitempty"`
	AdministrativeUnitsRead bool                 `json:"administrativeUnitsRead,omitempty"`
	// SignInRead is set when users' sign-in activity was read: a zero
	// LastSignIn then means never signed in rather than unknown.
	SignInRead bool `json:"signInRead,omitempty"`
	// ServicePrincipalSignInRead is set when the service principal sign-in
	// activity report was read: a zero LastSignIn then means no sign-in
	// in the report's history rather than unknown.
	ServicePrincipalSignInRead bool `json:"servicePrincipalSignInRead,omitempty"`
}

// User is an Entra ID user.
type User struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	UserType          string `json:"userType,omitempty"` // Member, Guest
	AccountEnabled    *bool  `json:"accountEnabled,omitempty"`
	// LastSignIn is from signInActivity (needs AuditLog.Read.All); zero when unknown.
	LastSignIn time.Time `json:"lastSignIn,omitzero"`
	// LastNonInteractiveSignIn is signInActivity's
	// lastNonInteractiveSignInDateTime: token refreshes and sign-ins a
	// client made for the user, which keep an account in use without an
	// interactive login.
	LastNonInteractiveSignIn time.Time `json:"lastNonInteractiveSignIn,omitzero"`
	Created                  time.Time `json:"createdDateTime,omitzero"`
}

// LastActivity is the later of the user's interactive and non-interactive
// sign-ins; zero when neither is known.
func (u *User) LastActivity() time.Time {
	if u.LastNonInteractiveSignIn.After(u.LastSignIn) {
		return u.LastNonInteractiveSignIn
	}
	return u.LastSignIn
}

// Group is an Entra ID group with its direct members (object ids).
type Group struct {
	ID                 string   `json:"id"`
	DisplayName        string   `json:"displayName,omitempty"`
	SecurityEnabled    bool     `json:"securityEnabled,omitempty"`
	IsAssignableToRole bool     `json:"isAssignableToRole,omitempty"`
	Members            []string `json:"members,omitempty"`
	Owners             []string `json:"owners,omitempty"`
}

// Credential is the metadata of a password or certificate credential (never
// the secret itself).
type Credential struct {
	KeyID       string `json:"keyId"`
	DisplayName string `json:"displayName,omitempty"`
	Kind        string `json:"kind"` // password, certificate, federated
	// Thumbprint is a certificate's SHA-1 thumbprint (upper-case hex),
	// from Graph's customKeyIdentifier, which holds it for certificates.
	Thumbprint string    `json:"thumbprint,omitempty"`
	Start      time.Time `json:"startDateTime,omitzero"`
	End        time.Time `json:"endDateTime,omitzero"`
}

// ServicePrincipal is an Entra ID service principal; managed identities are
// service principals of type ManagedIdentity.
type ServicePrincipal struct {
	ID                   string       `json:"id"`
	AppID                string       `json:"appId,omitempty"`
	DisplayName          string       `json:"displayName,omitempty"`
	Type                 string       `json:"servicePrincipalType,omitempty"` // Application, ManagedIdentity, Legacy
	AppOwnerOrganization string       `json:"appOwnerOrganizationId,omitempty"`
	AlternativeNames     []string     `json:"alternativeNames,omitempty"`
	Credentials          []Credential `json:"credentials,omitempty"`
	Owners               []string     `json:"owners,omitempty"`
	AccountEnabled       *bool        `json:"accountEnabled,omitempty"`
	// LastSignIn is from the service principal sign-in activity report
	// (needs AuditLog.Read.All and an Entra ID P1 licence); zero when unknown.
	LastSignIn time.Time `json:"lastSignIn,omitzero"`
	// LastClientSignIn is the report's latest sign-in with the service
	// principal as the client (application-only or delegated): when its
	// own credentials (secrets, certificates, federated tokens) were last
	// presented. LastSignIn also counts sign-ins to it as a resource.
	LastClientSignIn time.Time `json:"lastClientSignIn,omitzero"`
}

// ManagedIdentityResource returns the ARM resource id a managed identity's
// service principal stands for (from alternativeNames), or "".
func (sp *ServicePrincipal) ManagedIdentityResource() string {
	if !strings.EqualFold(sp.Type, "ManagedIdentity") {
		return ""
	}
	for _, n := range sp.AlternativeNames {
		if strings.HasPrefix(strings.ToLower(n), "/subscriptions/") {
			return strings.ToLower(n)
		}
	}
	return ""
}

// Application is an Entra ID app registration.
type Application struct {
	ID          string       `json:"id"`
	AppID       string       `json:"appId"`
	DisplayName string       `json:"displayName,omitempty"`
	Credentials []Credential `json:"credentials,omitempty"`
	Owners      []string     `json:"owners,omitempty"`
}

// DirectoryRoleAssignment is an Entra ID directory role assignment
// (roleManagement/directory/roleAssignments).
type DirectoryRoleAssignment struct {
	ID               string `json:"id"`
	PrincipalID      string `json:"principalId"`
	RoleDefinitionID string `json:"roleDefinitionId"` // the role template id
	DirectoryScopeID string `json:"directoryScopeId,omitempty"`
	Eligible         bool   `json:"eligible,omitempty"`
}

// AdministrativeUnit is an Entra ID administrative unit: a directory role
// assigned at its scope (directoryScopeId /administrativeUnits/<id>)
// applies to its direct members only. Members of a restricted management
// unit can be changed only by roles assigned at that unit's scope.
type AdministrativeUnit struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName,omitempty"`
	Restricted  bool     `json:"isMemberManagementRestricted,omitempty"`
	Members     []string `json:"members,omitempty"`
}

// AppRoleAssignment grants an app role (an application permission such as
// RoleManagement.ReadWrite.Directory on Microsoft Graph) to a principal.
type AppRoleAssignment struct {
	ID          string `json:"id"`
	PrincipalID string `json:"principalId"`
	ResourceID  string `json:"resourceId"` // the resource service principal (e.g. Microsoft Graph's)
	AppRoleID   string `json:"appRoleId"`
}

// Well-known ids.
const (
	// MicrosoftGraphAppID is the application id of Microsoft Graph.
	MicrosoftGraphAppID = "00000003-0000-0000-c000-000000000000"
)

// graphCredential is a passwordCredentials / keyCredentials element of a
// Microsoft Graph application or service principal (metadata only; Graph
// never returns the secret after creation).
type graphCredential struct {
	KeyID       string    `json:"keyId"`
	CustomKeyID string    `json:"customKeyIdentifier"`
	DisplayName string    `json:"displayName"`
	Start       time.Time `json:"startDateTime"`
	End         time.Time `json:"endDateTime"`
}

func graphCredentials(pw, keys []graphCredential) []Credential {
	var out []Credential
	for _, c := range pw {
		out = append(out, Credential{KeyID: c.KeyID, DisplayName: c.DisplayName, Kind: "password", Start: c.Start, End: c.End})
	}
	for _, c := range keys {
		out = append(out, Credential{KeyID: c.KeyID, DisplayName: c.DisplayName, Kind: "certificate", Thumbprint: thumbprint(c.CustomKeyID),
			Start: c.Start, End: c.End})
	}
	return out
}

// UserFromGraph decodes a Microsoft Graph user (v1.0 shape, as Graph and
// AzureHound return it).
func UserFromGraph(raw []byte) (User, error) {
	var u struct {
		ID                string    `json:"id"`
		DisplayName       string    `json:"displayName"`
		UserPrincipalName string    `json:"userPrincipalName"`
		UserType          string    `json:"userType"`
		AccountEnabled    *bool     `json:"accountEnabled"`
		Created           time.Time `json:"createdDateTime"`
		SignIn            *struct {
			Last               time.Time `json:"lastSignInDateTime"`
			LastNonInteractive time.Time `json:"lastNonInteractiveSignInDateTime"`
		} `json:"signInActivity"`
	}
	if err := json.Unmarshal(raw, &u); err != nil {
		return User{}, err
	}
	user := User{ID: strings.ToLower(u.ID), DisplayName: u.DisplayName, UserPrincipalName: u.UserPrincipalName, UserType: u.UserType,
		AccountEnabled: u.AccountEnabled, Created: u.Created}
	if u.SignIn != nil {
		user.LastSignIn, user.LastNonInteractiveSignIn = u.SignIn.Last, u.SignIn.LastNonInteractive
	}
	return user, nil
}

// ServicePrincipalFromGraph decodes a Microsoft Graph service principal.
func ServicePrincipalFromGraph(raw []byte) (ServicePrincipal, error) {
	var sp struct {
		ID                   string            `json:"id"`
		AppID                string            `json:"appId"`
		DisplayName          string            `json:"displayName"`
		Type                 string            `json:"servicePrincipalType"`
		AppOwnerOrganization string            `json:"appOwnerOrganizationId"`
		AlternativeNames     []string          `json:"alternativeNames"`
		AccountEnabled       *bool             `json:"accountEnabled"`
		Passwords            []graphCredential `json:"passwordCredentials"`
		Keys                 []graphCredential `json:"keyCredentials"`
	}
	if err := json.Unmarshal(raw, &sp); err != nil {
		return ServicePrincipal{}, err
	}
	return ServicePrincipal{ID: strings.ToLower(sp.ID), AppID: strings.ToLower(sp.AppID), DisplayName: sp.DisplayName, Type: sp.Type,
		AppOwnerOrganization: strings.ToLower(sp.AppOwnerOrganization), AlternativeNames: sp.AlternativeNames, AccountEnabled: sp.AccountEnabled,
		Credentials: graphCredentials(sp.Passwords, sp.Keys)}, nil
}

// ApplicationFromGraph decodes a Microsoft Graph application.
func ApplicationFromGraph(raw []byte) (Application, error) {
	var a struct {
		ID          string            `json:"id"`
		AppID       string            `json:"appId"`
		DisplayName string            `json:"displayName"`
		Passwords   []graphCredential `json:"passwordCredentials"`
		Keys        []graphCredential `json:"keyCredentials"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return Application{}, err
	}
	return Application{ID: strings.ToLower(a.ID), AppID: strings.ToLower(a.AppID), DisplayName: a.DisplayName,
		Credentials: graphCredentials(a.Passwords, a.Keys)}, nil
}

// ServicePrincipalSignIn is one entry of Microsoft Graph's (beta)
// reports/servicePrincipalSignInActivities: an application's latest
// sign-ins, overall and as a client.
type ServicePrincipalSignIn struct {
	AppID      string
	Last       time.Time
	LastClient time.Time
}

// ServicePrincipalSignInFromGraph decodes a servicePrincipalSignInActivity:
// lastSignInActivity, and the client sides (applicationAuthenticationClient
// for app-only sign-ins, delegatedClient for sign-ins on a user's behalf),
// each a signInActivity with lastSignInDateTime.
func ServicePrincipalSignInFromGraph(raw []byte) (ServicePrincipalSignIn, error) {
	type act struct {
		Last time.Time `json:"lastSignInDateTime"`
	}
	var a struct {
		AppID     string `json:"appId"`
		Last      *act   `json:"lastSignInActivity"`
		AppClient *act   `json:"applicationAuthenticationClientSignInActivity"`
		AppRes    *act   `json:"applicationAuthenticationResourceSignInActivity"`
		DelClient *act   `json:"delegatedClientSignInActivity"`
		DelRes    *act   `json:"delegatedResourceSignInActivity"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return ServicePrincipalSignIn{}, err
	}
	latest := func(acts ...*act) time.Time {
		var t time.Time
		for _, x := range acts {
			if x != nil && x.Last.After(t) {
				t = x.Last
			}
		}
		return t
	}
	return ServicePrincipalSignIn{AppID: strings.ToLower(a.AppID), Last: latest(a.Last, a.AppClient, a.AppRes, a.DelClient, a.DelRes),
		LastClient: latest(a.AppClient, a.DelClient)}, nil
}

// thumbprint renders a certificate credential's customKeyIdentifier (Graph
// Edm.Binary: base64 of the SHA-1 thumbprint) as upper-case hex; "" when
// it is not a 20-byte value.
func thumbprint(custom string) string {
	b, err := base64.StdEncoding.DecodeString(custom)
	if err != nil || len(b) != sha1Size {
		return ""
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// sha1Size is the length of a SHA-1 thumbprint.
const sha1Size = 20
