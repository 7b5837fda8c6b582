package inventory

// ConfigCredential is a credential found in a resource's configuration (an
// environment variable, user data, a parameter, a build setting). It never
// holds the value: only where it is, what kind of credential it is, the
// public identifier it carries (an access key id, a connection string's
// host) and a salted fingerprint that tells two places holding the same
// value apart from two values.
type ConfigCredential struct {
	// Location says where in the resource the credential sits:
	// "environment:DB_PASSWORD", "user-data:line 12", "value".
	Location string `json:"location"`
	// Kind is the detector's rule ("aws-access-token",
	// "aws-secret-access-key", "private-key", "password", "url-credentials", ...).
	Kind string `json:"kind"`
	// Key is the name the value was stored under, when there is one.
	Key string `json:"key,omitempty"`
	// KeyID is the AWS access key id (AKIA…/ASIA…) the credential belongs
	// to, when the configuration names one.
	KeyID string `json:"key_id,omitempty"`
	// Endpoint is the host (and port) a connection string or URL names.
	Endpoint string `json:"endpoint,omitempty"`
	// Fingerprint is a salted HMAC of the value (never the value).
	Fingerprint string `json:"fingerprint,omitempty"`
}

// CredentialNodeID is the graph id of the credential a resource's
// configuration exposes at location: one id shared by the resource and
// identity parts of the transform.
func CredentialNodeID(holderARN, location string) string {
	return holderARN + "#credential/" + location
}

// SSMParameter is a Systems Manager Parameter Store parameter. Only String
// and StringList values are read (to look for credentials, never kept);
// SecureString values are never requested.
type SSMParameter struct {
	Name        string             `json:"name"`
	ARN         string             `json:"arn"`
	Type        string             `json:"type"` // String, StringList, SecureString
	KMSKeyID    string             `json:"kms_key_id,omitempty"`
	Tags        Tags               `json:"tags,omitempty"`
	Credentials []ConfigCredential `json:"credentials,omitempty"`
	Errors      []string           `json:"errors,omitempty"`
}

// CodeBuildProject is a CodeBuild project: its service role and the
// credentials found in its PLAINTEXT environment variables.
type CodeBuildProject struct {
	Name        string             `json:"name"`
	ARN         string             `json:"arn"`
	ServiceRole string             `json:"service_role,omitempty"`
	Tags        Tags               `json:"tags,omitempty"`
	Credentials []ConfigCredential `json:"credentials,omitempty"`
	Errors      []string           `json:"errors,omitempty"`
}

// BeanstalkEnvironment is an Elastic Beanstalk environment: its instance
// profile and service role, and the credentials found in its option
// settings (environment properties).
type BeanstalkEnvironment struct {
	Name            string             `json:"name"`
	ID              string             `json:"id"`
	ARN             string             `json:"arn"`
	Application     string             `json:"application"`
	InstanceProfile string             `json:"instance_profile,omitempty"` // name or ARN as configured
	ServiceRole     string             `json:"service_role,omitempty"`
	Credentials     []ConfigCredential `json:"credentials,omitempty"`
	Errors          []string           `json:"errors,omitempty"`
}

// BucketConfigScan is the result of scanning a configuration bucket's
// objects for credentials (collect aws --scan-config-objects): counts, and
// the objects whose key or content holds credentials. Object contents are
// never kept.
type BucketConfigScan struct {
	// Reason says why the bucket was scanned ("name word config",
	// "tag breachpath:config-scan=true").
	Reason string `json:"reason"`
	// Listed, Scanned and Skipped count the object keys listed, the objects
	// whose content was read and scanned, and those left unread (too large,
	// binary, over the byte budget).
	Listed  int `json:"listed"`
	Scanned int `json:"scanned"`
	Skipped int `json:"skipped"`
	// Truncated: the bucket holds more keys than the per-bucket cap.
	Truncated bool `json:"truncated,omitempty"`
	// Objects lists the objects that hold credentials.
	Objects []ConfigObject `json:"objects,omitempty"`
}

// ConfigObject is one object of a configuration bucket whose key or content
// holds credentials (their locations are "object:<key>[:line N]").
type ConfigObject struct {
	Key         string             `json:"key"`
	Size        int64              `json:"size"`
	Credentials []ConfigCredential `json:"credentials"`
	// ACL is the object's access control list (s3:GetObjectAcl), read for
	// objects holding credentials while the bucket's ACLs are enabled (its
	// object ownership is not BucketOwnerEnforced); nil when not read.
	ACL []Grant `json:"acl,omitempty"`
}

// ObjectCredentialLocation is the location of a credential found in a
// bucket object (the credential's holder is the bucket).
func ObjectCredentialLocation(key string) string { return "object:" + key }
