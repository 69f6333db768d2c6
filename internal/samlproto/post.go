package samlproto

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
)

// The HTTP-POST binding's page: a form that a nonce-allowed script submits
// at once, with a button for browsers without JavaScript. It is written
// by concatenation, every value escaped for its double-quoted attribute
// (html.EscapeString), because html/template's reflection was a twentieth
// of an SSO response's cost (docs/benchmarks.md, Sign-in).
const (
	postHead = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signing in…</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f5f5f5}
main{max-width:60rem;margin:2rem auto;padding:0 1rem}
</style>
</head>
<body>
<main id="main">
<h1>Signing in…</h1>
<form method="post" action="`
	postResponse = `" id="samlform">
<input type="hidden" name="SAMLResponse" value="`
	postRelay = `">
<input type="hidden" name="RelayState" value="`
	postNonce = `">
<noscript><p>JavaScript is off. Press the button to continue.</p></noscript>
<button type="submit">Continue</button>
</form>
<script nonce="`
	postTail = `">document.getElementById("samlform").submit();</script>
</main>
</body>
</html>
`
)

// ErrUnsafeACS is WritePOSTResponse's refusal of an ACS that is not an
// http or https URL; nothing was written.
var ErrUnsafeACS = errors.New("samlproto: the ACS is not an http(s) URL")

// WritePOSTResponse answers with the HTTP-POST binding (SAML bindings
// §3.5.4): status 200 and an auto-submitting form that posts the base64
// SAMLResponse, and RelayState when not empty, to acs. The page's
// Content-Security-Policy allows only its own script, by a fresh nonce;
// it is not cached and not framed. acs must be an http or https URL (the
// configurations it comes from are validated; this is the last guard
// against a javascript: action: ErrUnsafeACS). Any other error is the
// write's, after the status was sent.
func WritePOSTResponse(w http.ResponseWriter, acs string, response []byte, relayState string) error {
	if !strings.HasPrefix(acs, "https://") && !strings.HasPrefix(acs, "http://") {
		return fmt.Errorf("%w: %q", ErrUnsafeACS, acs)
	}
	nb := make([]byte, 16)
	rand.Read(nb)
	nonce := base64.RawStdEncoding.EncodeToString(nb)
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-"+nonce+"'; base-uri 'none'")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	// One buffer of the exact size, the base64 encoded into it in place,
	// and a Content-Length, so the page goes out in one write rather than
	// as chunks.
	acsAttr, relayAttr := html.EscapeString(acs), html.EscapeString(relayState)
	n64 := base64.StdEncoding.EncodedLen(len(response))
	size := len(postHead) + len(acsAttr) + len(postResponse) + n64 + len(postNonce) + len(nonce) + len(postTail)
	if relayState != "" {
		size += len(postRelay) + len(relayAttr)
	}
	b := make([]byte, 0, size)
	b = append(b, postHead...)
	b = append(b, acsAttr...)
	b = append(b, postResponse...)
	// Base64's alphabet needs no escaping in an attribute.
	b = b[:len(b)+n64]
	base64.StdEncoding.Encode(b[len(b)-n64:], response)
	if relayState != "" {
		b = append(b, postRelay...)
		b = append(b, relayAttr...)
	}
	b = append(b, postNonce...)
	b = append(b, nonce...)
	b = append(b, postTail...)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}
