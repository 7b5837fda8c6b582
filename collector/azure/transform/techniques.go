package transform

// Techniques lists every technique id the Azure transform draws, for the
// documentation test (docs/techniques.md must name each).
var Techniques = []string{
	TechACRPull, TechACRPush, TechAKSAdminCredentials, TechAKSKubeletIdentity, TechAKSPublicAPI, TechAccessPolicyKey,
	TechAccessPolicySecret, TechAccessPolicyWrite, TechAnonymousACR, TechAnonymousBlob, TechAppAdminCredential, TechAppGWForward,
	TechAppRoleGrant, TechAppServiceIdentity, TechAppServicePublic, TechAppSettingsList, TechAutomationIdentity, TechAutomationVariable,
	TechBlobRead, TechBlobWrite, TechCodeDeploy, TechCosmosListKeys, TechFederatedCredential, TechGlobalAdminElevation, TechGroupMember,
	TechGroupMemberWrite, TechGroupOwner, TechInternetExposed, TechKeyDecrypt, TechLBForward, TechLBInternetFacing, TechOperatorAssign,
	TechOwnerAddCredential, TechRoleAssignmentWrite, TechRoleManagement, TechRunCommand, TechRunbookEdit, TechSQLAdminTakeover,
	TechSQLAzureAccess, TechSQLFirewallOpen, TechScopeAdministrator, TechSecretGet, TechStorageListKeys, TechVMExtension, TechVMIdentity,
	TechVMWrite, TechWorkloadSetting, TechWorkloadIdentity, TechVNetMember, TechVNetLateral, TechVNetPeering, TechForeignApp, TechHoldsRole,
	TechPrivateEndpoint, TechServiceEndpoint, TechFirewallDNAT, TechFirewallForward, TechSubnetMember, TechHubTransit, TechPasswordReset, TechFunctionHostKeys, TechSecretCredential, TechLogicAppIdentity, TechLogicAppEdit, TechStorageConnectionString,
	TechBlobCredential, TechSSHKeyLogin, TechCertificateCredential, TechClientSecretCredential,
}
