package samlproto

import (
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"net/http"
)

// postPage is the HTTP-POST binding's page: a form that a nonce-allowed
// script submits at once, with a button for browsers without JavaScript.
var postPage = template.Must(template.New("post").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signing in…</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f5f5f5}
main{max-width:60rem;margin:2rem auto;padding:0 1rem}
ul.tiles{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:1rem}
ul.tiles a{display:block;padding:1.5rem 1rem;background:#fff;border:1px solid #8a8886;border-radius:.5rem;color:#0f4a85;text-decoration:none;font-weight:600}
ul.tiles a:hover,ul.tiles a:focus-visible{outline:3px solid #0f4a85;outline-offset:2px}
</style>
</head>
<body>
<main id="main">
<h1>Signing in…</h1>
<form method="post" action="{{.ACS}}" id="samlform">
<input type="hidden" name="SAMLResponse" value="{{.Response}}">
{{if .RelayState}}<input type="hidden" name="RelayState" value="{{.RelayState}}">{{end}}
<noscript><p>JavaScript is off. Press the button to continue.</p></noscript>
<button type="submit">Continue</button>
</form>
<script nonce="{{.Nonce}}">document.getElementById("samlform").submit();</script>
</main>
</body>
</html>`))

// WritePOSTResponse answers with the HTTP-POST binding (SAML bindings
// §3.5.4): status 200 and an auto-submitting form that posts the base64
// SAMLResponse, and RelayState when not empty, to acs. The page's
// Content-Security-Policy allows only its own script, by a fresh nonce;
// it is not cached and not framed. The error is the template's, after
// the status was written.
func WritePOSTResponse(w http.ResponseWriter, acs string, response []byte, relayState string) error {
	nb := make([]byte, 16)
	rand.Read(nb)
	nonce := base64.RawStdEncoding.EncodeToString(nb)
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-"+nonce+"'; base-uri 'none'")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(http.StatusOK)
	return postPage.Execute(w, map[string]any{
		"ACS":        template.URL(acs),
		"Response":   base64.StdEncoding.EncodeToString(response),
		"RelayState": relayState,
		"Nonce":      nonce,
	})
}
