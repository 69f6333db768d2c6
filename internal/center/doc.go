// Package center is the domain of Gatehouse's center, the AWS IAM Identity
// Center role: its identity store of users and groups (fed by SCIM), the SCIM
// access tokens, and the store interface every backend implements.
//
// The center never imports the directory: users and groups reach it only over
// SCIM, exactly as they reach a real AWS IAM Identity Center, so a real Entra
// ID tenant can feed it unchanged.
package center
