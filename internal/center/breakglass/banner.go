package breakglass

import (
	"bytes"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// Banner wraps the access portal (or the whole center handler): every HTML
// page it answers under /start gets the unacknowledged emergency-access
// alerts ("Emergency access used by X at T") at the top of its header (or
// of its body, for pages without one), so everyone using the portal sees
// that emergency access was used until an administrator acknowledges it.
// Other responses pass through untouched.
func Banner(st Store, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || (r.URL.Path != "/start" && !strings.HasPrefix(r.URL.Path, "/start/")) ||
			strings.HasPrefix(r.URL.Path, Path) {
			next.ServeHTTP(w, r)
			return
		}
		rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		body := rec.body.Bytes()
		if strings.HasPrefix(rec.header.Get("Content-Type"), "text/html") {
			if msgs := AlertMessages(r.Context(), st, log); len(msgs) > 0 {
				body = injectBanner(body, msgs)
				rec.header.Del("Content-Length")
				rec.header.Set("Content-Length", strconv.Itoa(len(body)))
			}
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		w.Write(body)
	})
}

func injectBanner(body []byte, msgs []string) []byte {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "banner", msgs); err != nil {
		return body
	}
	for _, tag := range []string{"<header>", "<body>"} {
		if i := bytes.Index(body, []byte(tag)); i >= 0 {
			i += len(tag)
			out := make([]byte, 0, len(body)+b.Len())
			out = append(out, body[:i]...)
			out = append(out, b.Bytes()...)
			return append(out, body[i:]...)
		}
	}
	return body
}

// bufferedResponse holds a response until the banner is added.
type bufferedResponse struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(s int) {
	if !b.wrote {
		b.status, b.wrote = s, true
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}
