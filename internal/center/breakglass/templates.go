package breakglass

import "html/template"

// page is what every template reads.
type page struct {
	Title, Error, CSRF, User, Expires string
	Grants                            []grantView
	Opened                            *openedView
	Alerts                            []string
}

type openedView struct {
	AccountName, AccountID, PermissionSet, RoleName, Expires, Ref string
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
header{background:#7f1d1d;color:#fff;padding:.75rem 1.5rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header form{margin-left:auto}
main{max-width:40rem;margin:2rem auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 3px #0003}
label{display:block;margin-top:1rem;font-weight:600}
input[type=text],input[type=password]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1rem;padding:.45rem 1rem;font-size:1rem;background:#b91c1c;color:#fff;border:0;border-radius:.25rem;cursor:pointer}
header button{margin:0;background:#fff;color:#7f1d1d}
a:focus,button:focus,input:focus{outline:3px solid #f59e0b;outline-offset:2px}
.error{color:#991b1b;background:#fee2e2;padding:.75rem;border-radius:.25rem}
.alert{flex-basis:100%;margin:0;background:#fef3c7;color:#78350f;padding:.5rem .75rem;border-radius:.25rem}
ul.grants{list-style:none;padding:0}
ul.grants li{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.5rem 0;border-bottom:1px solid #e5e7eb}
.meta{color:#374151;font-size:.9rem}
th,td{text-align:left;padding:.4rem;border-bottom:1px solid #e5e7eb}
</style>
</head>
<body>
<header>
<p><strong>Emergency access</strong>{{if .User}} · signed in as <span id="username">{{.User}}</span>{{if .Expires}} until {{.Expires}}{{end}}{{end}}</p>
{{if .User}}<form method="post" action="/start/break-glass/logout"><input type="hidden" name="csrf" value="{{.CSRF}}"><button type="submit">Sign out</button></form>{{end}}
{{range .Alerts}}<p class="alert" role="alert">{{.}}</p>{{end}}
</header>
<main>
<h1>{{.Title}}</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{end}}

{{define "foot"}}</main>
</body>
</html>
{{end}}

{{define "signin"}}{{template "head" .}}
<p>For emergencies only, when the identity provider cannot be reached. Every use is recorded and raises an alert.</p>
<form method="post" action="/start/break-glass" autocomplete="off">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="username">Username</label><input type="text" id="username" name="username" required autocapitalize="none" spellcheck="false">
<label for="password">Password</label><input type="password" id="password" name="password" required>
<label for="otp">One-time code</label><input type="text" id="otp" name="otp" required inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code">
<button type="submit">Sign in</button>
</form>
{{template "foot" .}}{{end}}

{{define "home"}}{{template "head" .}}
<p>This emergency account may use:</p>
<ul class="grants">
{{range .Grants}}<li>
<span><strong>{{.PermissionSetName}}</strong> in {{.AccountName}} <span class="meta">{{.AccountID}}</span></span>
{{if .Missing}}<span class="meta">no longer exists</span>{{else}}<span class="meta">Session duration: {{.Duration}}</span>
<form method="post" action="/start/break-glass/session">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
<input type="hidden" name="account_id" value="{{.AccountID}}">
<input type="hidden" name="permission_set_arn" value="{{.PermissionSetARN}}">
<button type="submit" aria-label="Open {{.PermissionSetName}} in {{.AccountName}}">Open</button>
</form>{{end}}
</li>
{{end}}</ul>
{{template "foot" .}}{{end}}

{{define "opened"}}{{template "head" .}}
<p role="status">Your emergency account session has started.</p>
<table>
<tr><th scope="row">Account</th><td>{{.Opened.AccountName}} ({{.Opened.AccountID}})</td></tr>
<tr><th scope="row">Permission set</th><td>{{.Opened.PermissionSet}}</td></tr>
<tr><th scope="row">Role</th><td><code>{{.Opened.RoleName}}</code></td></tr>
<tr><th scope="row">Expires</th><td><time>{{.Opened.Expires}}</time></td></tr>
<tr><th scope="row">Reference</th><td><code>{{.Opened.Ref}}</code></td></tr>
</table>
<p><a href="/start/break-glass">Back</a></p>
{{template "foot" .}}{{end}}

{{define "message"}}{{template "head" .}}
<p><a href="/start/break-glass">Back</a></p>
{{template "foot" .}}{{end}}

{{define "banner"}}{{range .}}<p class="breakglass-alert" role="alert" style="flex-basis:100%;margin:.25rem 0;background:#fef3c7;color:#78350f;padding:.5rem .75rem;border-radius:.25rem">{{.}}</p>{{end}}{{end}}
{{define "banner-classed"}}{{range .}}<p class="breakglass-alert" role="alert">{{.}}</p>{{end}}{{end}}
`))
