// Package reviewapi serves access reviews in the shape of Microsoft
// Graph's accessReviews API (identityGovernance/accessReviews:
// definitions, instances, decisions), trimmed to what reviews offers, plus
// a CSV report. Admin calls carry a Graph admin bearer token; reviewers
// list and record their decisions with their directory sign-in session.
// See docs/governance.md for the routes and body shapes.
package reviewapi
