package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FormPages sets the security headers on every answer, reads a POSTed
// form within the bound before the handler runs, and hands an unreadable
// or oversized form to badForm instead.
func TestFormPages(t *testing.T) {
	const csp = "default-src 'none'"
	var got string
	h := FormPages(csp, 32, func(w http.ResponseWriter) { http.Error(w, "bad form", http.StatusBadRequest) },
		func(w http.ResponseWriter, r *http.Request) { got = r.PostForm.Get("username") })
	for _, c := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"form read", "username=ada", 200, "ada"},
		{"too large", "username=" + strings.Repeat("a", 64), 400, ""},
		{"bad encoding", "username=%zz", 400, ""},
	} {
		got = ""
		req := httptest.NewRequest("POST", "/login", strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.status || got != c.want {
			t.Errorf("%s: %d, handler saw %q", c.name, rec.Code, got)
		}
		for k, v := range map[string]string{"Content-Security-Policy": csp, "Cache-Control": "no-store",
			"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
			if rec.Header().Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", c.name, k, rec.Header().Get(k), v)
			}
		}
	}
}
