package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// Static serves the embedded static files (htmx.min.js, console.css) under
// prefix, e.g. "/console/static/".
func Static(prefix string) http.Handler {
	sub, _ := fs.Sub(static, "static")
	fsrv := http.StripPrefix(prefix, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fsrv.ServeHTTP(w, r)
	})
}

// CSP allows scripts, styles and fetches from the page's own origin only:
// no inline script or style, nothing from elsewhere, no framing.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Secure sets the security headers of a console page.
func Secure(w http.ResponseWriter) { SecureCSP(w, CSP) }

// SecureCSP sets the security headers of a page with its own
// Content-Security-Policy: not cached, not framed, no sniffing, the
// referrer kept to this origin.
func SecureCSP(w http.ResponseWriter, csp string) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// FormPages serves the pages of a sign-in flow (the directory's sign-in,
// the access portal, emergency access): every answer gets the security
// headers with csp, and a POST has its form read within maxBytes first;
// a form that cannot be read is answered by badForm.
func FormPages(csp string, maxBytes int64, badForm func(http.ResponseWriter), fn http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SecureCSP(w, csp)
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
			if err := r.ParseForm(); err != nil {
				badForm(w)
				return
			}
		}
		fn(w, r)
	})
}

// NavItem is one link of the console's navigation.
type NavItem struct{ Label, Href string }

// Page is what the base layout reads; Data is the page's own.
type Page struct {
	Console   string // "Directory console"
	Static    string // URL prefix of the static files, ending in "/"
	Title     string
	Nav       []NavItem
	Current   string // Href of the current section
	User      string // the signed-in admin
	Role      string
	CSRF      string
	Logout    string // where "Sign out" posts; "" is /logout
	CanChange bool
	Flash     string
	Error     string
	Errors    Errors
	Form      map[string]string
	Data      any
}

// Errors maps a form field's name to the message shown next to it.
type Errors map[string]string

// Has reports whether the form had any error.
func (e Errors) Has() bool { return len(e) > 0 }

// Add records msg for field, keeping the first message of a field.
func (e Errors) Add(field, msg string) {
	if _, ok := e[field]; !ok {
		e[field] = msg
	}
}

// Sentence capitalises s and ends it with a period.
func Sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// Field describes one labelled input for the "field" template.
type Field struct {
	Name, Label, Type, Value, Error, Hint, Autocomplete string
	Required                                            bool
}

// funcs are the template functions every console page may use.
var funcs = template.FuncMap{
	// field builds a Field from the page's form values and errors:
	// {{template "field" (field $ "upn" "User principal name" "text")}}.
	"field": func(p *Page, name, label, typ string) Field {
		f := Field{Name: name, Label: label, Type: typ}
		if p.Form != nil && typ != "password" {
			f.Value = p.Form[name]
		}
		if p.Errors != nil {
			f.Error = p.Errors[name]
		}
		return f
	},
	"required": func(f Field) Field { f.Required = true; return f },
	"hint":     func(h string, f Field) Field { f.Hint = h; return f },
	"auto":     func(a string, f Field) Field { f.Autocomplete = a; return f },
}

const layout = `{{define "layout"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"selfRequestsOnly":true}'>
<title>{{.Title}} · {{.Console}} · Gatehouse</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{.Static}}console.css">
<script src="{{.Static}}htmx.min.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="{{with index .Nav 0}}{{.Href}}{{end}}">Gatehouse · {{.Console}}</a>
<nav aria-label="Console"><ul>
{{range .Nav}}<li><a href="{{.Href}}"{{if eq .Href $.Current}} aria-current="page"{{end}}>{{.Label}}</a></li>
{{end}}</ul></nav>
<div class="who"><span>Signed in as <strong>{{.User}}</strong> <span class="badge">{{.Role}}</span></span>
<form method="post" action="{{if .Logout}}{{.Logout}}{{else}}/logout{{end}}"><input type="hidden" name="csrf" value="{{.CSRF}}"><button type="submit">Sign out</button></form></div>
</header>
<main id="main">
<h1>{{.Title}}</h1>
{{if .Flash}}<p class="flash" role="status">{{.Flash}}</p>{{end}}
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{template "content" .}}
</main>
</body>
</html>{{end}}

{{define "field"}}<div class="field">
<label for="f-{{.Name}}">{{.Label}}</label>
<input type="{{.Type}}" id="f-{{.Name}}" name="{{.Name}}" value="{{.Value}}"{{if .Required}} required{{end}}{{if .Autocomplete}} autocomplete="{{.Autocomplete}}"{{end}}{{if .Error}} aria-invalid="true" aria-describedby="err-{{.Name}}"{{else if .Hint}} aria-describedby="hint-{{.Name}}"{{end}}>
{{if .Hint}}<p class="muted" id="hint-{{.Name}}">{{.Hint}}</p>{{end}}
{{if .Error}}<p class="field-error" id="err-{{.Name}}">{{.Error}}</p>{{end}}
</div>{{end}}

{{define "csrf"}}<input type="hidden" name="csrf" value="{{.CSRF}}">{{end}}
`

// Templates parses the base layout and pages, which define a "content"
// template each (one set per page: each map names pages' sources, so a
// console can keep each area's pages with its handlers). A page named
// twice is a programming error.
func Templates(pages ...map[string]string) map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).Parse(layout))
	out := map[string]*template.Template{}
	for _, set := range pages {
		for name, src := range set {
			if _, dup := out[name]; dup {
				panic("web: page " + name + " defined twice")
			}
			out[name] = template.Must(template.Must(base.Clone()).Parse(src))
		}
	}
	return out
}

// Render writes the page with the security headers; a template error is a
// 500 without a half-written page.
func Render(w http.ResponseWriter, log *slog.Logger, t *template.Template, status int, p *Page) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		if log != nil {
			log.Error("web: render", "title", p.Title, "err", err)
		}
		http.Error(w, "Something went wrong.", http.StatusInternalServerError)
		return
	}
	Secure(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}
