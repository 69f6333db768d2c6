// Package config loads `gatehouse serve` settings: a YAML file, then
// GATEHOUSE_* environment variables, then command-line flags, each overriding
// the one before. Unknown YAML keys are errors, so a typo never silently falls
// back to a default.
package config
