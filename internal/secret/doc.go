// Package secret holds Gatehouse's handling of secrets: bearer tokens that
// are shown once and stored only as a hash, compared in constant time; and
// symmetric encryption (AES-256-GCM) for the secrets Gatehouse must be able to
// use again, such as a provisioning target's token.
package secret
