package signin

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
)

// page is what every template reads.
type page struct {
	Title, Error, CSRF, Return, Username string
	// Enrollment page: the QR code (a data: URL we made), the secret for
	// typing in by hand, and the pending key sealed to the session.
	QR         template.URL
	Secret     string
	Enrollment string
}

// qrURL marks a data: URL that this package generated as safe for src.
func qrURL(s string) template.URL { return template.URL(s) } //nolint:gosec // generated here, never user input

// groupSecret spaces a base32 secret in groups of four for reading aloud.
func groupSecret(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
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
main{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 3px #0003}
label{display:block;margin-top:1rem;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #555;border-radius:.25rem}
input:focus,button:focus{outline:3px solid #1d4ed8;outline-offset:2px}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem;background:#1d4ed8;color:#fff;border:0;border-radius:.25rem;cursor:pointer}
.error{color:#991b1b;background:#fee2e2;padding:.75rem;border-radius:.25rem}
.hint{color:#374151;font-size:.9rem;margin:.25rem 0 0}
code{font-size:1.1rem;letter-spacing:.05em}
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
{{if .Error}}<p class="error" role="alert" id="form-error">{{.Error}}</p>{{end}}
{{end}}

{{define "foot"}}</main>
</body>
</html>
{{end}}

{{define "login"}}{{template "head" .}}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="return" value="{{.Return}}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="{{.Username}}" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus{{if .Error}} aria-describedby="form-error"{{end}}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<label for="otp">Verification code <span class="hint">(if you use an authenticator app)</span></label>
<input type="text" id="otp" name="otp" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code">
<button type="submit">Sign in</button>
</form>
{{template "foot" .}}{{end}}

{{define "mfa"}}{{template "head" .}}
<p>Signed in as <strong>{{.Username}}</strong>. This app needs a second step: enter the code from your authenticator app.</p>
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="return" value="{{.Return}}">
<input type="hidden" name="step" value="mfa">
<label for="otp">Verification code</label>
<input type="text" id="otp" name="otp" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required autofocus{{if .Error}} aria-describedby="form-error"{{end}}>
<button type="submit">Verify</button>
</form>
{{template "foot" .}}{{end}}

{{define "enroll"}}{{template "head" .}}
<ol>
<li>Open an authenticator app and scan this QR code.
<p><img src="{{.QR}}" width="240" height="240" alt="QR code of your authenticator secret; if you cannot scan it, type the secret shown below"></p></li>
<li>Or type this secret: <code id="secret">{{.Secret}}</code></li>
<li>Enter the 6-digit code the app shows.</li>
</ol>
<form method="post" action="/mfa/enroll">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="return" value="{{.Return}}">
<input type="hidden" name="enrollment" value="{{.Enrollment}}">
<label for="otp">Verification code</label>
<input type="text" id="otp" name="otp" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required autofocus{{if .Error}} aria-describedby="form-error"{{end}}>
<button type="submit">Confirm</button>
</form>
{{template "foot" .}}{{end}}

{{define "message"}}{{template "head" .}}
<p><a href="/login">Back to sign-in</a></p>
{{template "foot" .}}{{end}}
`))

func (h *Handler) render(w http.ResponseWriter, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, p); err != nil {
		h.log().Error("sign-in: render", "template", name, "err", err)
		http.Error(w, msgInternal, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}
