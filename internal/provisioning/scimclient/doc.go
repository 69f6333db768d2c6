// Package scimclient is the provisioning engine's SCIM 2.0 client (RFC 7644).
// It sends what AWS IAM Identity Center and other SCIM services accept,
// limits its request rate per target, retries what may succeed later (429
// with Retry-After honoured for the whole target, 5xx, timeouts, network
// errors) with exponential backoff and jitter, and classifies every failure
// with the error code Entra's provisioning logs use
// (shared/reference/entra-provisioning.md §1.6).
package scimclient
