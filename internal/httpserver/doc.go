// Package httpserver holds what every Gatehouse listener shares: liveness and
// readiness probes, Prometheus metrics, structured access logs, and a server
// that shuts down gracefully.
package httpserver
