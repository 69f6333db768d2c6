package portal

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/gatehouse-id/gatehouse/internal/scim"
)

// page is what every template reads.
type page struct {
	Title, Message, CSRF string
	User                 *scim.User
	Accounts             []*accountView
	Opened               *sessionRow
	Sessions             []*sessionRow
	Console              *ConsoleSignIn
}

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Gatehouse</title>
<style>
body{font-family:system-ui,sans-serif;background:#f3f4f6;color:#111;margin:0}
header{background:#1e293b;color:#fff;padding:.75rem 1.5rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header a{color:#fff}
header form{margin-left:auto}
main{max-width:48rem;margin:2rem auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 3px #0003}
section{border-top:1px solid #d1d5db;padding-top:1rem;margin-top:1rem}
ul.sets{list-style:none;padding:0}
ul.sets li{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.5rem 0;border-bottom:1px solid #e5e7eb}
.meta{color:#374151;font-size:.9rem}
button{padding:.45rem 1rem;font-size:1rem;background:#1d4ed8;color:#fff;border:0;border-radius:.25rem;cursor:pointer}
button.secondary{background:#fff;color:#1d4ed8;border:1px solid #1d4ed8}
header button{background:#fff;color:#1e293b}
a:focus,button:focus{outline:3px solid #f59e0b;outline-offset:2px}
.error{color:#991b1b;background:#fee2e2;padding:.75rem;border-radius:.25rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
code{word-break:break-all}
</style>
</head>
<body>
{{if .User}}<header>
<p>Signed in as <strong>{{if .User.DisplayName}}{{.User.DisplayName}}{{else}}{{.User.UserName}}{{end}}</strong> (<span id="username">{{.User.UserName}}</span>)</p>
<nav aria-label="Portal"><a href="/start">Accounts</a> · <a href="/start/sessions">Active sessions</a></nav>
<form method="post" action="/start/logout"><input type="hidden" name="csrf" value="{{.CSRF}}"><button type="submit">Sign out</button></form>
</header>{{end}}
<main>
<h1>{{.Title}}</h1>
{{end}}

{{define "foot"}}</main>
</body>
</html>
{{end}}

{{define "start"}}{{template "head" .}}
{{if not .Accounts}}<p>You have no AWS accounts assigned. Ask your administrator for access.</p>{{end}}
{{range $i, $a := .Accounts}}
<section aria-labelledby="acct-{{$a.Account.ID}}">
<h2 id="acct-{{$a.Account.ID}}">{{$a.Account.Name}} <span class="meta">{{$a.Account.ID}}{{if $a.Account.Email}} · {{$a.Account.Email}}{{end}}</span></h2>
<ul class="sets">
{{range $a.Sets}}<li>
<span><strong>{{.PS.Name}}</strong>{{if .PS.Description}} <span class="meta">{{.PS.Description}}</span>{{end}}</span>
<span class="meta">Session duration: {{.Duration}} · via {{.Via}}</span>
<form method="post" action="/start/session">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
<input type="hidden" name="account_id" value="{{$a.Account.ID}}">
<input type="hidden" name="permission_set_arn" value="{{.PS.ARN}}">
<button type="submit" aria-label="Open {{.PS.Name}} in {{$a.Account.Name}}">Open</button>
{{if $a.Account.RealAWS}}<button type="submit" class="secondary" formaction="/start/console" aria-label="Management console: {{.PS.Name}} in {{$a.Account.Name}}">Management console</button>{{end}}
</form>
</li>
{{end}}</ul>
</section>
{{end}}
{{template "foot" .}}{{end}}

{{define "session"}}<table>
<tr><th scope="row">Account</th><td>{{.AccountName}} ({{.AccountID}})</td></tr>
<tr><th scope="row">Permission set</th><td>{{.PermissionSet}}</td></tr>
<tr><th scope="row">Role</th><td><code>{{.RoleName}}</code></td></tr>
<tr><th scope="row">Opened</th><td>{{.Created}}</td></tr>
<tr><th scope="row">Expires</th><td><time>{{.Expires}}</time></td></tr>
<tr><th scope="row">Session tags</th><td>{{if .Tags}}<ul class="tags">{{range .Tags}}<li><code>{{.Key}}</code> = <code>{{.Value}}</code></li>{{end}}</ul>{{else}}none{{end}}</td></tr>
<tr><th scope="row">Reference</th><td><code>{{.Ref}}</code></td></tr>
</table>{{end}}

{{define "opened"}}{{template "head" .}}
<p role="status">Your session has started.</p>
{{template "session" .Opened}}
<p><a href="/start">Back to accounts</a></p>
{{template "foot" .}}{{end}}

{{define "console"}}{{template "head" .}}
<p role="status">The account session was opened, but this portal is not set up to sign you in to the AWS console (it has no identity-provider key store). An administrator can set it up; the sign-in would carry:</p>
<table>
<tr><th scope="row">Role</th><td><code>{{.Console.RoleAttribute}}</code></td></tr>
<tr><th scope="row">RoleSessionName</th><td><code>{{.Console.RoleSessionName}}</code></td></tr>
<tr><th scope="row">SessionDuration</th><td>{{.Console.SessionDuration}} seconds</td></tr>
</table>
{{template "session" .Opened}}
<p><a href="/start">Back to accounts</a></p>
{{template "foot" .}}{{end}}

{{define "sessions"}}{{template "head" .}}
{{if not .Sessions}}<p>You have no active account sessions.</p>{{end}}
{{range .Sessions}}<section aria-label="{{.PermissionSet}} in {{.AccountName}}">
<h2>{{.AccountName}}: {{.PermissionSet}}</h2>
{{template "session" .}}
</section>{{end}}
{{template "foot" .}}{{end}}

{{define "message"}}{{template "head" .}}
<p class="error" role="alert">{{.Message}}</p>
<p><a href="/start">Go to the portal</a></p>
{{template "foot" .}}{{end}}
`))

func (h *Handler) render(w http.ResponseWriter, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, p); err != nil {
		h.log().Error("portal: render", "template", name, "err", err)
		http.Error(w, msgInternal, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

func (h *Handler) message(w http.ResponseWriter, status int, title, msg string) {
	h.render(w, status, "message", &page{Title: title, Message: msg})
}
