package neo4j

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v4"
)

// composeFile is the subset of docker-compose.yml the deployment relies on.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []string          `yaml:"ports"`
		Command     []string          `yaml:"command"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck *struct {
			Test     []string `yaml:"test"`
			Interval string   `yaml:"interval"`
			Retries  int      `yaml:"retries"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func readCompose(t *testing.T) (composeFile, string) {
	t.Helper()
	path := filepath.Join("..", "..", "docker-compose.yml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("docker-compose.yml is not valid YAML: %v", err)
	}
	return c, path
}

func TestComposeWiresBreachpathToNeo4j(t *testing.T) {
	c, _ := readCompose(t)
	neo, ok := c.Services["neo4j"]
	if !ok {
		t.Fatal("no neo4j service")
	}
	bp, ok := c.Services["breachpath"]
	if !ok {
		t.Fatal("no breachpath service")
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"neo4j runs the 5 community image", strings.HasPrefix(neo.Image, "neo4j:5") && strings.Contains(neo.Image, "community")},
		{"neo4j auth comes from NEO4J_PASSWORD, never a literal", strings.HasPrefix(neo.Environment["NEO4J_AUTH"], "neo4j/${NEO4J_PASSWORD")},
		{"neo4j data is on a named volume", slices.ContainsFunc(neo.Volumes, func(v string) bool {
			name, mount, _ := strings.Cut(v, ":")
			_, declared := c.Volumes[name]
			return mount == "/data" && declared
		})},
		{"neo4j has a health check that runs a query", neo.Healthcheck != nil && strings.Contains(strings.Join(neo.Healthcheck.Test, " "), "RETURN 1") && neo.Healthcheck.Retries > 0},
		{"neo4j publishes no port by default", len(neo.Ports) == 0},
		{"breachpath is built from the Dockerfile", bp.Build != nil},
		{"breachpath waits for a healthy neo4j", bp.DependsOn["neo4j"].Condition == "service_healthy"},
		{"breachpath reaches neo4j over the compose network", strings.HasPrefix(bp.Environment["BREACHPATH_NEO4J_URI"], "bolt://neo4j:") || strings.HasPrefix(bp.Environment["BREACHPATH_NEO4J_URI"], "neo4j://neo4j:")},
		{"breachpath user is set", bp.Environment["BREACHPATH_NEO4J_USER"] == "neo4j"},
		{"breachpath password is the same variable as neo4j's", strings.HasPrefix(bp.Environment["BREACHPATH_NEO4J_PASSWORD"], "${NEO4J_PASSWORD")},
		{"breachpath serves on all interfaces inside the container", strings.Join(bp.Command, " ") == "serve --listen 0.0.0.0:8080"},
		{"breachpath is published on 127.0.0.1 only by default", len(bp.Ports) == 1 && publishedOnLoopback(bp.Ports[0])},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("docker-compose.yml: want %s", c.name)
		}
	}
}

// publishedOnLoopback reports whether a "host_ip:host_port:container_port"
// mapping binds 127.0.0.1, directly or as a variable's default.
func publishedOnLoopback(p string) bool {
	return strings.HasPrefix(p, "127.0.0.1:") || strings.HasPrefix(p, "${BREACHPATH_BIND:-127.0.0.1}:")
}

func TestPublishedOnLoopbackRejectsOpenBindings(t *testing.T) {
	tests := []struct {
		mapping string
		want    bool
	}{
		{"127.0.0.1:8080:8080", true},
		{"${BREACHPATH_BIND:-127.0.0.1}:${BREACHPATH_PORT:-8080}:8080", true},
		{"8080:8080", false},
		{"0.0.0.0:8080:8080", false},
		{"${BREACHPATH_BIND:-0.0.0.0}:8080:8080", false},
	}
	for _, tt := range tests {
		if got := publishedOnLoopback(tt.mapping); got != tt.want {
			t.Errorf("publishedOnLoopback(%q) = %v, want %v", tt.mapping, got, tt.want)
		}
	}
}

func TestDockerfileBuildsStaticNonRootImage(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []string{
		"FROM golang:",                  // builder stage
		"CGO_ENABLED=0",                 // static binary for distroless/static
		"./cmd/breachpath",              // the CLI is what runs
		"FROM gcr.io/distroless/static", // minimal runtime
		"USER nonroot",                  // never root
		`"serve", "--listen", "0.0.0.0:8080"`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

// TestComposeConfigValidates runs `docker compose config` when a Docker
// CLI with the compose plugin is installed; the engine is not needed.
func TestComposeConfigValidates(t *testing.T) {
	_, path := readCompose(t)
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker CLI not installed; the YAML checks above still ran")
	}
	if err := exec.Command(docker, "compose", "version").Run(); err != nil {
		t.Skip("docker compose plugin not installed; the YAML checks above still ran")
	}
	cmd := exec.Command(docker, "compose", "-f", path, "config", "--quiet")
	cmd.Env = append(os.Environ(), "NEO4J_PASSWORD=compose-test-password")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker compose config: %v\n%s", err, out)
	}
}
