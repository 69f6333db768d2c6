package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Role selects which half, or both, a process runs.
type Role string

// Roles.
const (
	RoleDirectory Role = "directory"
	RoleCenter    Role = "center"
	RoleAll       Role = "all"
)

// Listener is one HTTP listener: where it binds and the public URL others
// reach it at (for SAML metadata, SCIM locations and the demo's URLs).
type Listener struct {
	Listen string `yaml:"listen"`
	URL    string `yaml:"url"`
}

// Config is the whole configuration.
type Config struct {
	Role     Role   `yaml:"role"`
	Database string `yaml:"database"`
	// SecretKeyFile holds the key that encrypts stored secrets such as
	// provisioning tokens; it is created on first start.
	SecretKeyFile string `yaml:"secret_key_file"`
	Log           struct {
		Level  string `yaml:"level"`  // debug, info, warn, error
		Format string `yaml:"format"` // json or text
	} `yaml:"log"`
	Center    Listener `yaml:"center"`
	Directory Listener `yaml:"directory"`
}

// Default is the configuration with nothing set.
func Default() Config {
	var c Config
	c.Role = RoleAll
	c.Database = "gatehouse-data/gatehouse.db"
	c.Log.Level, c.Log.Format = "info", "text"
	c.Center.Listen = "127.0.0.1:8090"
	c.Directory.Listen = "127.0.0.1:8080"
	return c
}

// Load reads path (if not empty) over the defaults and applies the
// environment.
func Load(path string) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		d := yaml.NewDecoder(bytes.NewReader(b))
		d.KnownFields(true)
		if err := d.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // an empty file sets nothing
			return c, fmt.Errorf("config %s: %w", path, err)
		}
	}
	c.applyEnv(os.LookupEnv)
	return c, nil
}

// Env lists the environment variables that override the file.
var Env = []string{
	"GATEHOUSE_ROLE", "GATEHOUSE_DATABASE", "GATEHOUSE_SECRET_KEY_FILE", "GATEHOUSE_LOG_LEVEL", "GATEHOUSE_LOG_FORMAT",
	"GATEHOUSE_CENTER_LISTEN", "GATEHOUSE_CENTER_URL", "GATEHOUSE_DIRECTORY_LISTEN", "GATEHOUSE_DIRECTORY_URL",
}

func (c *Config) applyEnv(lookup func(string) (string, bool)) {
	fields := map[string]*string{
		"GATEHOUSE_ROLE": (*string)(&c.Role), "GATEHOUSE_DATABASE": &c.Database, "GATEHOUSE_SECRET_KEY_FILE": &c.SecretKeyFile,
		"GATEHOUSE_LOG_LEVEL": &c.Log.Level, "GATEHOUSE_LOG_FORMAT": &c.Log.Format,
		"GATEHOUSE_CENTER_LISTEN": &c.Center.Listen, "GATEHOUSE_CENTER_URL": &c.Center.URL,
		"GATEHOUSE_DIRECTORY_LISTEN": &c.Directory.Listen, "GATEHOUSE_DIRECTORY_URL": &c.Directory.URL,
	}
	for _, name := range Env {
		if v, ok := lookup(name); ok && v != "" {
			*fields[name] = v
		}
	}
}

// Validate checks the values that have a fixed set of choices.
func (c *Config) Validate() error {
	switch c.Role {
	case RoleDirectory, RoleCenter, RoleAll:
	default:
		return fmt.Errorf("config: role must be directory, center or all, not %q", c.Role)
	}
	switch strings.ToLower(c.Log.Format) {
	case "json", "text":
	default:
		return fmt.Errorf("config: log.format must be json or text, not %q", c.Log.Format)
	}
	if c.Database == "" {
		return fmt.Errorf("config: database is empty")
	}
	return nil
}

// KeyFile is the secret key file: as configured, or secret.key beside a
// SQLite database, or gatehouse-data/secret.key.
func (c *Config) KeyFile() string {
	switch {
	case c.SecretKeyFile != "":
		return c.SecretKeyFile
	case strings.HasPrefix(c.Database, "postgres://") || strings.HasPrefix(c.Database, "postgresql://"):
		return "gatehouse-data/secret.key"
	}
	return filepath.Join(filepath.Dir(strings.TrimPrefix(c.Database, "sqlite:")), "secret.key")
}

// Runs reports whether the process runs the given half.
func (c *Config) Runs(r Role) bool { return c.Role == RoleAll || c.Role == r }
