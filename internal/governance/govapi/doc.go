// Package govapi is the wire layer the governance APIs (pimapi, reviewapi)
// share, in Microsoft Graph's shape: each request gets a request-id (and
// its client-request-id echoed), is authenticated (package apiauth: an
// admin bearer token or the directory session), has its body bounded, and
// any error becomes Graph's error document
// {"error":{"code","message","innerError":{date, request-id,
// client-request-id}}}. Each API keeps only the mapping of its own domain
// errors (Wrap's toError).
package govapi
