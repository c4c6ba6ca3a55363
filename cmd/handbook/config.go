package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the program. LoadConfig is the only code that
// reads flags, the environment or the config file (STYLE.md §6).
type Config struct {
	ConfigFile   string
	Addr         string
	Content      string // "" means the content embedded in the binary
	Data         string
	BaseURL      string
	Watch        bool
	VectorStore  string
	DatabaseURL  string
	EmbedURL     string
	EmbedModel   string
	EmbedKey     string
	EmbedDim     int
	EmbedBatch   int
	EmbedTimeout time.Duration
	FusionK      float64
	FusionLex    float64
	FusionVec    float64
	LLMURL       string
	LLMModel     string
	LLMKey       string
	LLMTimeout   time.Duration
	TopK         int
	// PostingsCacheMB bounds the keyword index's cache of decoded
	// postings.
	PostingsCacheMB int
	APITokens       []string // tokens that may see internal content
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the caller (the login limiter keys on it).
	TrustedProxies []netip.Prefix
	LogLevel       string
	LogFormat      string
	Dev            bool
	RequestLimit   time.Duration
}

// option is one row of the configuration table: it drives flag
// registration, environment lookup, `handbook config` and the README table.
type option struct {
	flag, env, def, help string
	secret               bool
	set                  func(c *Config, v string) error
	get                  func(c *Config) string
}

func str(p func(*Config) *string) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error { *p(c) = v; return nil }, func(c *Config) string { return *p(c) }
}

func opt(flag, env, def, help string, secret bool, p func(*Config) *string) option {
	set, get := str(p)
	return option{flag: flag, env: env, def: def, help: help, secret: secret, set: set, get: get}
}

var options = []option{
	opt("config", "HANDBOOK_CONFIG", "", "env-style file (KEY=value) with the keys below", false, func(c *Config) *string { return &c.ConfigFile }),
	opt("addr", "HANDBOOK_ADDR", "127.0.0.1:8080", "listen address", false, func(c *Config) *string { return &c.Addr }),
	opt("content", "HANDBOOK_CONTENT", "", "Markdown content directory; empty means the copy built into the binary", false, func(c *Config) *string { return &c.Content }),
	opt("data", "HANDBOOK_DATA", "./data", "data directory: index, vectors, SQLite state", false, func(c *Config) *string { return &c.Data }),
	opt("base-url", "HANDBOOK_BASE_URL", "", "public URL of the site for QR codes and links (e.g. https://sotay.tinh.gov.vn); empty: taken from each request", false, func(c *Config) *string { return &c.BaseURL }),
	{flag: "watch", env: "HANDBOOK_WATCH", def: "false", help: "re-index edited content files within seconds (with -content)",
		set: func(c *Config, v string) (err error) { c.Watch, err = strconv.ParseBool(v); return },
		get: func(c *Config) string { return strconv.FormatBool(c.Watch) }},
	opt("vector-store", "HANDBOOK_VECTOR_STORE", "memvec", "vector store: memvec or pgvector", false, func(c *Config) *string { return &c.VectorStore }),
	opt("database-url", "HANDBOOK_DATABASE_URL", "", "PostgreSQL URL (pgvector, shared state); SQLite in the data dir when empty", true, func(c *Config) *string { return &c.DatabaseURL }),
	opt("embed-url", "HANDBOOK_EMBED_URL", "", "OpenAI-compatible embeddings base URL; empty means keyword-only search", false, func(c *Config) *string { return &c.EmbedURL }),
	opt("embed-model", "HANDBOOK_EMBED_MODEL", "bge-m3", "embedding model name", false, func(c *Config) *string { return &c.EmbedModel }),
	opt("embed-key", "HANDBOOK_EMBED_KEY", "", "embeddings API key", true, func(c *Config) *string { return &c.EmbedKey }),
	{flag: "embed-dim", env: "HANDBOOK_EMBED_DIM", def: "0", help: "embedding dimension (0: take it from the first response)",
		set: func(c *Config, v string) (err error) { c.EmbedDim, err = strconv.Atoi(v); return },
		get: func(c *Config) string { return strconv.Itoa(c.EmbedDim) }},
	{flag: "embed-batch", env: "HANDBOOK_EMBED_BATCH", def: "64", help: "texts per embedding request when indexing",
		set: func(c *Config, v string) (err error) { c.EmbedBatch, err = strconv.Atoi(v); return },
		get: func(c *Config) string { return strconv.Itoa(c.EmbedBatch) }},
	{flag: "embed-timeout", env: "HANDBOOK_EMBED_TIMEOUT", def: "3s", help: "how long a search waits for the query embedding and vector search before answering from keywords alone",
		set: func(c *Config, v string) (err error) { c.EmbedTimeout, err = time.ParseDuration(v); return },
		get: func(c *Config) string { return c.EmbedTimeout.String() }},
	floatOpt("fusion-k", "HANDBOOK_FUSION_K", "60", "k of reciprocal rank fusion: score = w/(k+rank); smaller favours the top ranks", func(c *Config) *float64 { return &c.FusionK }),
	floatOpt("fusion-lexical-weight", "HANDBOOK_FUSION_LEXICAL_WEIGHT", "1", "weight of the keyword ranking in hybrid search", func(c *Config) *float64 { return &c.FusionLex }),
	floatOpt("fusion-vector-weight", "HANDBOOK_FUSION_VECTOR_WEIGHT", "1", "weight of the semantic (vector) ranking in hybrid search", func(c *Config) *float64 { return &c.FusionVec }),
	opt("llm-url", "HANDBOOK_LLM_URL", "", "OpenAI-compatible chat base URL; empty means extractive answers only", false, func(c *Config) *string { return &c.LLMURL }),
	opt("llm-model", "HANDBOOK_LLM_MODEL", "qwen2.5:3b", "chat model name", false, func(c *Config) *string { return &c.LLMModel }),
	opt("llm-key", "HANDBOOK_LLM_KEY", "", "chat API key", true, func(c *Config) *string { return &c.LLMKey }),
	{flag: "llm-timeout", env: "HANDBOOK_LLM_TIMEOUT", def: "60s", help: "per LLM call; on timeout answers fall back to extractive",
		set: func(c *Config, v string) (err error) { c.LLMTimeout, err = time.ParseDuration(v); return },
		get: func(c *Config) string { return c.LLMTimeout.String() }},
	{flag: "top-k", env: "HANDBOOK_TOP_K", def: "8", help: "chunks given to the LLM",
		set: func(c *Config, v string) (err error) { c.TopK, err = strconv.Atoi(v); return },
		get: func(c *Config) string { return strconv.Itoa(c.TopK) }},
	{flag: "postings-cache-mb", env: "HANDBOOK_POSTINGS_CACHE_MB", def: "48", help: "memory for decoded postings lists of frequent words (0: none); halves search time on large knowledge bases",
		set: func(c *Config, v string) (err error) { c.PostingsCacheMB, err = strconv.Atoi(v); return },
		get: func(c *Config) string { return strconv.Itoa(c.PostingsCacheMB) }},
	{flag: "api-tokens", env: "HANDBOOK_API_TOKENS", def: "", help: "comma-separated bearer tokens that may read internal content", secret: true,
		set: func(c *Config, v string) error { c.APITokens = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.APITokens, ",") }},
	{flag: "trusted-proxies", env: "HANDBOOK_TRUSTED_PROXIES", def: "", help: "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the caller (e.g. 172.16.0.0/12 for nginx in Docker); empty: use the connection's address",
		set: func(c *Config, v string) error {
			c.TrustedProxies = nil
			for _, item := range splitList(v) {
				p, err := netip.ParsePrefix(item)
				if err != nil {
					a, aerr := netip.ParseAddr(item)
					if aerr != nil {
						return fmt.Errorf("%q is neither an address nor a CIDR range", item)
					}
					p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
				}
				c.TrustedProxies = append(c.TrustedProxies, p.Masked())
			}
			return nil
		},
		get: func(c *Config) string {
			var out []string
			for _, p := range c.TrustedProxies {
				out = append(out, p.String())
			}
			return strings.Join(out, ",")
		}},
	{flag: "request-timeout", env: "HANDBOOK_REQUEST_TIMEOUT", def: "15s", help: "timeout of one HTTP request (streams excepted)",
		set: func(c *Config, v string) (err error) { c.RequestLimit, err = time.ParseDuration(v); return },
		get: func(c *Config) string { return c.RequestLimit.String() }},
	opt("log-level", "HANDBOOK_LOG_LEVEL", "info", "debug, info, warn or error", false, func(c *Config) *string { return &c.LogLevel }),
	opt("log-format", "HANDBOOK_LOG_FORMAT", "text", "text or json", false, func(c *Config) *string { return &c.LogFormat }),
	{flag: "dev", env: "HANDBOOK_DEV", def: "false", help: "read templates and static files from disk",
		set: func(c *Config, v string) (err error) { c.Dev, err = strconv.ParseBool(v); return },
		get: func(c *Config) string { return strconv.FormatBool(c.Dev) }},
}

func floatOpt(flag, env, def, help string, p func(*Config) *float64) option {
	return option{flag: flag, env: env, def: def, help: help,
		set: func(c *Config, v string) (err error) { *p(c), err = strconv.ParseFloat(v, 64); return },
		get: func(c *Config) string { return strconv.FormatFloat(*p(c), 'g', -1, 64) }}
}

// boolFlag is a flag.Value for boolean options kept as strings, so that
// they parse with the other options but may be given without a value.
type boolFlag struct{ s *string }

func (b boolFlag) String() string {
	if b.s == nil {
		return ""
	}
	return *b.s
}

func (b boolFlag) Set(v string) error {
	if _, err := strconv.ParseBool(v); err != nil {
		return err
	}
	*b.s = v
	return nil
}

func (b boolFlag) IsBoolFlag() bool { return true }

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// LoadConfig reads configuration with precedence flag > environment > file >
// default. getenv is os.Getenv in main and a map lookup in tests. It returns
// the remaining positional arguments.
func LoadConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (Config, *flag.FlagSet, error) {
	var c Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	vals := map[string]*string{}
	for _, o := range options {
		v := o.def
		vals[o.flag] = &v
		if o.def == "true" || o.def == "false" {
			// A switch: "-watch" alone means true, as users expect.
			fs.Var(boolFlag{&v}, o.flag, o.help)
			continue
		}
		fs.StringVar(&v, o.flag, o.def, o.help)
	}
	if err := fs.Parse(args); err != nil {
		return c, fs, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	file := map[string]string{}
	cfgPath := *vals["config"]
	if !set["config"] {
		cfgPath = lookupEnv(getenv, "HANDBOOK_CONFIG")
	}
	if cfgPath != "" {
		var err error
		if file, err = readEnvFile(cfgPath); err != nil {
			return c, fs, err
		}
	}
	for _, o := range options {
		v := o.def
		if fv, ok := file[o.env]; ok {
			v = fv
		}
		if ev := lookupEnv(getenv, o.env); ev != "" {
			v = ev
		}
		if set[o.flag] {
			v = *vals[o.flag]
		}
		if err := o.set(&c, v); err != nil {
			return c, fs, fmt.Errorf("%s (-%s): invalid value %q: %w", o.env, o.flag, v, err)
		}
	}
	return c, fs, c.Validate()
}

// lookupEnv reads NAME, or the contents of the file named by NAME_FILE (for
// secrets passed as files).
func lookupEnv(getenv func(string) string, name string) string {
	if v := getenv(name); v != "" {
		return v
	}
	if p := getenv(name + "_FILE"); p != "" {
		if b, err := os.ReadFile(p); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}

// Validate checks combinations of options; messages name the variables.
func (c Config) Validate() error {
	var errs []error
	if c.VectorStore != "memvec" && c.VectorStore != "pgvector" {
		errs = append(errs, fmt.Errorf("HANDBOOK_VECTOR_STORE must be memvec or pgvector, not %q", c.VectorStore))
	}
	if c.VectorStore == "pgvector" && c.DatabaseURL == "" {
		errs = append(errs, errors.New("HANDBOOK_DATABASE_URL is required when HANDBOOK_VECTOR_STORE=pgvector"))
	}
	if c.Watch && c.Content == "" {
		errs = append(errs, errors.New("HANDBOOK_WATCH needs HANDBOOK_CONTENT (a directory on disk)"))
	}
	if c.EmbedDim < 0 {
		errs = append(errs, fmt.Errorf("HANDBOOK_EMBED_DIM must be 0 (from the model) or positive, not %d", c.EmbedDim))
	}
	if c.EmbedBatch < 1 || c.EmbedBatch > 2048 {
		errs = append(errs, fmt.Errorf("HANDBOOK_EMBED_BATCH must be between 1 and 2048, not %d", c.EmbedBatch))
	}
	if c.EmbedTimeout <= 0 {
		errs = append(errs, fmt.Errorf("HANDBOOK_EMBED_TIMEOUT must be positive, not %s", c.EmbedTimeout))
	}
	if !(c.FusionK > 0) || math.IsInf(c.FusionK, 0) {
		errs = append(errs, fmt.Errorf("HANDBOOK_FUSION_K must be a positive number, not %v", c.FusionK))
	}
	for _, w := range []struct {
		env string
		v   float64
	}{{"HANDBOOK_FUSION_LEXICAL_WEIGHT", c.FusionLex}, {"HANDBOOK_FUSION_VECTOR_WEIGHT", c.FusionVec}} {
		if !(w.v >= 0) || math.IsInf(w.v, 0) {
			errs = append(errs, fmt.Errorf("%s must be zero or positive, not %v", w.env, w.v))
		}
	}
	if c.FusionLex == 0 && c.FusionVec == 0 {
		errs = append(errs, errors.New("HANDBOOK_FUSION_LEXICAL_WEIGHT and HANDBOOK_FUSION_VECTOR_WEIGHT cannot both be 0"))
	}
	if c.PostingsCacheMB < 0 || c.PostingsCacheMB > 4096 {
		errs = append(errs, fmt.Errorf("HANDBOOK_POSTINGS_CACHE_MB must be between 0 and 4096, not %d", c.PostingsCacheMB))
	}
	if c.TopK < 1 || c.TopK > 50 {
		errs = append(errs, fmt.Errorf("HANDBOOK_TOP_K must be between 1 and 50, not %d", c.TopK))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("HANDBOOK_LOG_FORMAT must be text or json, not %q", c.LogFormat))
	}
	return errors.Join(errs...)
}

// readEnvFile parses KEY=value lines (# comments, optional quotes).
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open config file: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: expected KEY=value", path, n)
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return out, sc.Err()
}

// Dump writes the effective configuration, secrets masked.
func (c Config) Dump(w io.Writer) {
	rows := make([]string, 0, len(options))
	for _, o := range options {
		v := o.get(&c)
		if o.secret && v != "" {
			v = "******"
		}
		rows = append(rows, fmt.Sprintf("%s=%s", o.env, v))
	}
	sort.Strings(rows)
	for _, r := range rows {
		fmt.Fprintln(w, r)
	}
}
