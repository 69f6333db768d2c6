package breakglass

import (
	"bytes"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// Banner wraps the access portal (or the whole center handler): every HTML
// page it answers under /start or /console gets the unacknowledged emergency-access
// alerts ("Emergency access used by X at T") at the top of its header (or
// of its body, for pages without one), so everyone using the portal sees
// that emergency access was used until an administrator acknowledges it.
// Other responses pass through untouched.
func Banner(st Store, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !alertedPage(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		body := rec.body.Bytes()
		if strings.HasPrefix(rec.header.Get("Content-Type"), "text/html") {
			if msgs := AlertMessages(r.Context(), st, log); len(msgs) > 0 {
				body = injectBanner(body, msgs, strings.HasPrefix(r.URL.Path, "/console"))
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

// alertedPage reports whether the page at path shows the alerts: the
// access portal's (/start) and the center console's (/console), not their
// static files or the emergency sign-in itself.
func alertedPage(path string) bool {
	under := func(p string) bool { return path == p || strings.HasPrefix(path, p+"/") }
	return (under("/start") || under("/console")) && !under("/console/static") && !strings.HasPrefix(path, Path)
}

// injectBanner adds the alerts to the page. The console's CSP refuses
// inline styles, so there the alert carries only its class (console.css
// styles it); the portal's pages allow them.
func injectBanner(body []byte, msgs []string, classed bool) []byte {
	var b bytes.Buffer
	tmpl := "banner"
	if classed {
		tmpl = "banner-classed"
	}
	if err := pages.ExecuteTemplate(&b, tmpl, msgs); err != nil {
		return body
	}
	// Right inside the first <header ...> (the portal's and the console's
	// top bars), else right inside <body>.
	for _, tag := range []string{"<header", "<body"} {
		if i := bytes.Index(body, []byte(tag)); i >= 0 {
			end := bytes.IndexByte(body[i:], '>')
			if end < 0 {
				return body
			}
			i += end + 1
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
