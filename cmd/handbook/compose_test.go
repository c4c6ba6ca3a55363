package main

import (
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The scaled setup cannot be started here (no Docker engine on the
// development machine; docs/DEPLOY.md says how it was checked). This test
// reads docker-compose.yml as compose does (anchors, merge keys, ${VAR:-default}
// with the defaults) and checks what the issue asks of it: the app in
// several replicas sharing PostgreSQL + pgvector, Ollama pulling the
// embedding and chat models on first start, healthchecks, named volumes and
// configuration by environment with keys the program knows.

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
	Configs  map[string]struct {
		Content string `yaml:"content"`
	} `yaml:"configs"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     any               `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Deploy struct {
		Replicas string `yaml:"replicas"`
	} `yaml:"deploy"`
	Restart string `yaml:"restart"`
}

var composeVar = regexp.MustCompile(`\$\{([A-Z_]+)(?::-([^}]*))?\}`)

// interpolate replaces ${VAR:-default} with its default, as compose does
// with an empty environment; $$ stays a literal $.
func interpolate(s string) string {
	s = strings.ReplaceAll(s, "$$", "\x00")
	s = composeVar.ReplaceAllString(s, "$2")
	return strings.ReplaceAll(s, "\x00", "$")
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal([]byte(interpolate(string(raw))), &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

func commandString(v any) string {
	switch c := v.(type) {
	case string:
		return c
	case []any:
		var parts []string
		for _, p := range c {
			parts = append(parts, p.(string))
		}
		return strings.Join(parts, " ")
	}
	return ""
}

func TestComposeScaledSetup(t *testing.T) {
	c := loadCompose(t)
	svc := func(name string) composeService {
		t.Helper()
		s, ok := c.Services[name]
		if !ok {
			t.Fatalf("docker-compose.yml has no service %q", name)
		}
		return s
	}
	// Named volumes: every one a service mounts is declared, and the
	// databases and models live in one.
	mounts := map[string]string{} // volume → service:path
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, dst, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
				t.Errorf("service %s bind-mounts %s; the setup uses named volumes", name, v)
				continue
			}
			if _, ok := c.Volumes[src]; !ok {
				t.Errorf("service %s mounts undeclared volume %q", name, src)
			}
			mounts[src] = name + ":" + dst
		}
	}
	for vol, want := range map[string]string{"postgres-data": "postgres:/var/lib/postgresql/data", "ollama-models": "ollama:/root/.ollama"} {
		if mounts[vol] != want {
			t.Errorf("volume %s is mounted as %q, want %q", vol, mounts[vol], want)
		}
	}

	pg := svc("postgres")
	if !strings.HasPrefix(pg.Image, "pgvector/pgvector:") {
		t.Errorf("postgres image = %q, want pgvector/pgvector", pg.Image)
	}
	ollama := svc("ollama")
	if !strings.HasPrefix(ollama.Image, "ollama/ollama") {
		t.Errorf("ollama image = %q", ollama.Image)
	}
	// Models pulled on first start (and not again once in the volume).
	pull := svc("ollama-pull")
	cmd := commandString(pull.Command)
	if !strings.Contains(cmd, "ollama pull") || !strings.Contains(cmd, "ollama show") ||
		!strings.Contains(cmd, "$EMBED_MODEL") || !strings.Contains(cmd, "$CHAT_MODEL") {
		t.Errorf("ollama-pull command = %q, want it to pull $EMBED_MODEL and $CHAT_MODEL unless present", cmd)
	}
	if pull.Environment["EMBED_MODEL"] != "bge-m3" || pull.Environment["CHAT_MODEL"] == "" {
		t.Errorf("ollama-pull models = %q, %q; want bge-m3 and a chat model", pull.Environment["EMBED_MODEL"], pull.Environment["CHAT_MODEL"])
	}
	if pull.DependsOn["ollama"].Condition != "service_healthy" {
		t.Errorf("ollama-pull does not wait for a healthy ollama")
	}

	// Long-running services have healthchecks; the order of starting is
	// enforced by conditions.
	for name, s := range c.Services {
		if s.Restart != "no" && (s.Healthcheck == nil || len(s.Healthcheck.Test) == 0) {
			t.Errorf("long-running service %s has no healthcheck", name)
		}
	}
	index, app := svc("index"), svc("app")
	for _, dep := range []struct{ svc, on, cond string }{
		{"index", "postgres", "service_healthy"}, {"index", "ollama-pull", "service_completed_successfully"},
		{"app", "postgres", "service_healthy"}, {"app", "index", "service_completed_successfully"},
		{"proxy", "app", "service_healthy"},
	} {
		if got := c.Services[dep.svc].DependsOn[dep.on].Condition; got != dep.cond {
			t.Errorf("%s depends on %s with %q, want %q", dep.svc, dep.on, got, dep.cond)
		}
	}
	if commandString(index.Command) != "index" || commandString(app.Command) != "serve" {
		t.Errorf("commands: index %q, app %q", commandString(index.Command), commandString(app.Command))
	}
	if app.Healthcheck == nil || !slices.Contains(app.Healthcheck.Test, "healthcheck") {
		t.Errorf("app healthcheck = %+v, want the binary's healthcheck subcommand (distroless image)", app.Healthcheck)
	}

	// Several stateless replicas that share PostgreSQL for vectors and
	// state: no volume (two replicas must never share a bleve index).
	if n, err := strconv.Atoi(app.Deploy.Replicas); err != nil || n < 2 {
		t.Errorf("app replicas = %q, want 2 or more", app.Deploy.Replicas)
	}
	if len(app.Volumes) != 0 {
		t.Errorf("app replicas mount %v; they must not share a data directory", app.Volumes)
	}
	for _, name := range []string{"index", "app"} {
		s := svc(name)
		env := s.Environment
		if env["HANDBOOK_VECTOR_STORE"] != "pgvector" {
			t.Errorf("%s: HANDBOOK_VECTOR_STORE = %q, want pgvector", name, env["HANDBOOK_VECTOR_STORE"])
		}
		if u, err := url.Parse(env["HANDBOOK_DATABASE_URL"]); err != nil || u.Hostname() != "postgres" || u.Scheme != "postgres" {
			t.Errorf("%s: HANDBOOK_DATABASE_URL = %q, want the postgres service", name, env["HANDBOOK_DATABASE_URL"])
		}
		for _, k := range []string{"HANDBOOK_EMBED_URL", "HANDBOOK_LLM_URL"} {
			if u, err := url.Parse(env[k]); err != nil || u.Hostname() != "ollama" {
				t.Errorf("%s: %s = %q, want the ollama service", name, k, env[k])
			}
		}
		if env["HANDBOOK_EMBED_MODEL"] != pull.Environment["EMBED_MODEL"] || env["HANDBOOK_LLM_MODEL"] != pull.Environment["CHAT_MODEL"] {
			t.Errorf("%s uses models %q/%q, ollama-pull pulls %q/%q", name, env["HANDBOOK_EMBED_MODEL"], env["HANDBOOK_LLM_MODEL"],
				pull.Environment["EMBED_MODEL"], pull.Environment["CHAT_MODEL"])
		}
		if d, err := strconv.Atoi(env["HANDBOOK_EMBED_DIM"]); err != nil || d != 1024 {
			t.Errorf("%s: HANDBOOK_EMBED_DIM = %q, want 1024 (bge-m3; pgvector needs it)", name, env["HANDBOOK_EMBED_DIM"])
		}
		// Configuration by environment, with keys the program reads, and
		// valid together.
		known := map[string]bool{}
		for _, o := range options {
			known[o.env] = true
		}
		for k := range env {
			if !known[k] {
				t.Errorf("%s sets %s, which handbook does not read", name, k)
			}
		}
		if _, _, err := LoadConfig(name, nil, func(k string) string { return env[k] }, os.Stderr); err != nil {
			t.Errorf("%s's environment does not load: %v", name, err)
		}
	}

	// The proxy spreads requests over the replicas and is the only
	// published port.
	proxy := svc("proxy")
	if len(proxy.Ports) != 1 || !strings.Contains(c.Configs["nginx"].Content, "server app:8080") {
		t.Errorf("proxy ports %v, nginx config upstream missing app:8080", proxy.Ports)
	}
	for name, s := range c.Services {
		if name != "proxy" && len(s.Ports) > 0 {
			t.Errorf("service %s publishes ports %v; only the proxy should", name, s.Ports)
		}
	}
}
