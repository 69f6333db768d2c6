// Package web holds what the server-rendered consoles share: the base
// layout (html/template), the embedded static files (the stylesheet and a
// vendored htmx, so no page loads anything from elsewhere and no Node build
// is part of the product), the security headers with a strict
// Content-Security-Policy, and the rendering of validation errors next to
// the form field they concern.
//
// CSRF tokens are the directory sign-in session's (signin.Handler's
// CSRFToken and CheckCSRF); every form carries one in a field named "csrf".
package web
