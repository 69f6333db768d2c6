package audit

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
)

// Classify decides whether a request is audited and under which kind; it
// returns "" for requests that are not (reads, probes).
type Classify func(r *http.Request) string

// HTTP records the requests classify selects, after they are answered:
// who (the bearer token's id or the SigV4 access key), what (method, path,
// and for the AWS API the operation), and the outcome from the status.
// A failed append is logged, not turned into a failed request: the change
// it describes has already been made.
func HTTP(a Appender, classify Classify, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := classify(r)
		if kind == "" {
			next.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		rec := Record{Kind: kind, Actor: ActorOf(r), Subject: r.URL.Path, Action: r.Method + " " + r.URL.Path,
			Outcome: outcomeOf(sw.status), Details: map[string]any{"status": sw.status, "remote": r.RemoteAddr}}
		if op := r.Header.Get("X-Amz-Target"); op != "" {
			rec.Action = op
		}
		if sw.status >= 400 {
			rec.Reason = http.StatusText(sw.status)
		}
		if _, err := a.Append(context.WithoutCancel(r.Context()), rec); err != nil && logger != nil {
			logger.Error("audit: append failed", "kind", kind, "action", rec.Action, "err", err)
		}
	})
}

func outcomeOf(status int) string {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return OutcomeRefused
	case status >= 400:
		return OutcomeFailure
	}
	return OutcomeSuccess
}

// ActorOf names the caller from its credentials without checking them: the
// id part of a Gatehouse bearer token "<id>.<secret>", or the access key of
// an AWS SigV4 signature; "anonymous" without either.
func ActorOf(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 Credential="); ok {
		key, _, _ := strings.Cut(rest, "/")
		return "aws-key:" + key
	}
	if scheme, tok, ok := strings.Cut(auth, " "); ok && strings.EqualFold(scheme, "Bearer") {
		id, _, _ := strings.Cut(strings.TrimSpace(tok), ".")
		return "token:" + id
	}
	if c, err := r.Cookie("gh_session"); err == nil && c.Value != "" {
		return "session"
	}
	return "anonymous"
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
