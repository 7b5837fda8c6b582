package fetch

import (
	"sort"
	"strings"

	"google.golang.org/api/option"
)

// APIs the collector calls, by the name gcloud gives their endpoint
// override property (api_endpoint_overrides/<name>).
const (
	APIAsset          = "cloudasset"
	APIStorage        = "storage"
	APIPolicyAnalyzer = "policyanalyzer"
	APICompute        = "compute"
	APIBigQuery       = "bigquery"
	APISecretManager  = "secretmanager"
	APISQL            = "sql"
	APIFunctions      = "cloudfunctions"
	APIRun            = "run"
	APIContainer      = "container"
	APIKMS            = "cloudkms"
)

// APIs lists every API the collector may call.
var APIs = []string{APIAsset, APIStorage, APIPolicyAnalyzer, APICompute, APIBigQuery, APISecretManager, APISQL,
	APIFunctions, APIRun, APIContainer, APIKMS, APIIAM, APIAccessContextManager, APIRecommender, APIDLP}

// EndpointEnvPrefix is gcloud's environment spelling of the
// api_endpoint_overrides properties: CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE
// and so on (`gcloud topic endpoint-override`).
const EndpointEnvPrefix = "CLOUDSDK_API_ENDPOINT_OVERRIDES_"

// EndpointOptions reads the endpoint overrides from the environment, the
// way gcloud does, and returns the client options per API. The value is the
// API's base URL as gcloud expects it (for example
// https://compute.googleapis.com/compute/v1/ or a Private Service Connect
// name). An http:// override (a local emulator or test server) is called
// without credentials, because an access token must never travel in clear
// text; an https:// override keeps Application Default Credentials.
func EndpointOptions(getenv func(string) string) map[string][]option.ClientOption {
	out := map[string][]option.ClientOption{}
	for _, api := range APIs {
		v := strings.TrimSpace(getenv(EndpointEnvPrefix + strings.ToUpper(api)))
		if v == "" {
			continue
		}
		opts := []option.ClientOption{option.WithEndpoint(v)}
		if strings.HasPrefix(strings.ToLower(v), "http://") {
			opts = append(opts, option.WithoutAuthentication())
		}
		out[api] = opts
	}
	return out
}

// EndpointVariables lists the environment variables EndpointOptions reads,
// sorted, for help texts and docs.
func EndpointVariables() []string {
	var out []string
	for _, api := range APIs {
		out = append(out, EndpointEnvPrefix+strings.ToUpper(api))
	}
	sort.Strings(out)
	return out
}
