package samlidp

import (
	"cmp"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/samlproto"
)

// MaxRelayState bounds RelayState (SAML bindings §3.4.3 asks for 80 bytes;
// real SPs send more, so we allow up to 1 KiB).
const MaxRelayState = 1024

// Mount registers the IdP's routes on the directory's mux.
func (p *IdP) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /saml/{appId}/metadata", p.handleMetadata)
	mux.HandleFunc("GET /saml/{appId}/sso", p.handleSSO)
	mux.HandleFunc("POST /saml/{appId}/sso", p.handleSSO)
	mux.HandleFunc("GET /saml/{appId}/start", p.handleStart)
	mux.HandleFunc("GET /myapps", p.handleMyApps)
}

// loadConfig returns the app's configuration, or writes a not-found page.
func (p *IdP) loadConfig(w http.ResponseWriter, r *http.Request) (*Config, bool) {
	cfg, err := p.Config(r.Context(), r.PathValue("appId"))
	if errors.Is(err, directory.ErrNotFound) {
		p.errorPage(w, r, http.StatusNotFound, "Application not found",
			"No application with SAML single sign-on exists at this address.")
		return nil, false
	}
	if err != nil {
		p.internalError(w, r, err)
		return nil, false
	}
	return cfg, true
}

// handleMetadata serves the app's IdP metadata at its stable URL.
func (p *IdP) handleMetadata(w http.ResponseWriter, r *http.Request) {
	cfg, ok := p.loadConfig(w, r)
	if !ok {
		return
	}
	certs, err := p.Store.SAMLCerts(r.Context(), cfg.AppID)
	if err != nil {
		p.internalError(w, r, err)
		return
	}
	b, err := metadataXML(p.idpEntityID(r, cfg), p.base(r)+"/saml/"+cfg.AppID+"/sso", certs)
	if err != nil {
		p.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+cfg.AppID+`.xml"`)
	}
	w.Write(b)
}

// handleSSO is SP-initiated sign-in (SAML profiles §4.1.4):
//  1. decode the AuthnRequest from the HTTP-Redirect (query, DEFLATE) or
//     HTTP-POST (form) binding;
//  2. verify its signature (query signature, or enveloped XML signature)
//     when the SP's certificate is known;
//  3. check Issuer, ACS URL, binding and NameID policy against the app;
//     4–6. sign the user in, check the assignment and POST the Response
//     (IdP.signInResponse).
//
// A POSTed request from a browser that is not signed in yet is turned into
// the equivalent Redirect-binding URL first, so sign-in can send the
// browser back to it with a GET.
func (p *IdP) handleSSO(w http.ResponseWriter, r *http.Request) {
	cfg, ok := p.loadConfig(w, r)
	if !ok {
		return
	}
	var xmlBytes []byte
	var relay string
	querySigned := false
	var err error
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 2*maxRequestBytes)
		if err = r.ParseForm(); err != nil {
			p.errorPage(w, r, http.StatusBadRequest, "Bad request", "The sign-in request could not be read.")
			return
		}
		relay = r.PostForm.Get("RelayState")
		v := r.PostForm.Get("SAMLRequest")
		xmlBytes, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v), ""))
		if v == "" || err != nil || len(xmlBytes) > maxRequestBytes {
			p.errorPage(w, r, http.StatusBadRequest, "Bad request", "SAMLRequest is missing or not base64.")
			return
		}
	} else {
		relay = r.URL.Query().Get("RelayState")
		xmlBytes, err = decodeRedirect(r)
		if err == nil {
			sc, cerr := spCerts(cfg)
			if cerr != nil {
				err = cerr
			} else {
				querySigned, err = verifyRedirectSignature(r, sc)
			}
		}
	}
	if err == nil && len(relay) > MaxRelayState {
		err = refuse(http.StatusBadRequest, "RelayState is too long.")
	}
	var req *authnRequest
	if err == nil {
		req, err = parseAuthnRequest(xmlBytes, cfg, querySigned)
	}
	if err != nil {
		var re *requestError
		if errors.As(err, &re) {
			p.logger().Info("saml request refused", "app", cfg.AppID, "reason", re.Msg)
			p.errorPage(w, r, re.Status, "Sign-in request refused", re.Msg)
		} else {
			p.internalError(w, r, err)
		}
		return
	}
	if r.Method == http.MethodPost {
		si, _, serr := p.Auth.CurrentSession(r)
		if serr != nil || (cfg.RequireMFA && !si.MFA) {
			q := "SAMLRequest=" + url.QueryEscape(encodeRedirect(xmlBytes))
			if relay != "" {
				q += "&RelayState=" + url.QueryEscape(relay)
			}
			http.Redirect(w, r, r.URL.Path+"?"+q, http.StatusSeeOther)
			return
		}
	}
	p.signInResponse(w, r, cfg, req, relay)
}

// handleStart is IdP-initiated sign-in, the target of a My Apps tile: an
// unsolicited Response (no InResponseTo) to the app's default ACS, with
// the RelayState of the query, else the app's default one.
func (p *IdP) handleStart(w http.ResponseWriter, r *http.Request) {
	cfg, ok := p.loadConfig(w, r)
	if !ok {
		return
	}
	relay := cmp.Or(r.URL.Query().Get("RelayState"), cfg.RelayState)
	if len(relay) > MaxRelayState {
		p.errorPage(w, r, http.StatusBadRequest, "Bad request", "RelayState is too long.")
		return
	}
	p.signInResponse(w, r, cfg, nil, relay)
}

// Tile is one app of the My Apps portal.
type Tile struct {
	AppID, Name, URL string
}

// MyApps lists the SAML apps the user is assigned to, by name.
func (p *IdP) MyApps(r *http.Request, user *directory.User) ([]Tile, error) {
	ctx := r.Context()
	apps, err := p.Directory.ListApps(ctx)
	if err != nil {
		return nil, err
	}
	assigned, err := p.Directory.AppsOf(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	var out []Tile
	for _, a := range apps {
		if !slices.Contains(assigned, a.ID) {
			continue
		}
		cfg, err := p.Store.SAMLConfig(ctx, a.ID)
		if err != nil {
			if errors.Is(err, directory.ErrNotFound) {
				continue
			}
			return nil, err
		}
		// With a sign-on URL the SP starts the sign-in (Entra's "Sign on
		// URL"); otherwise it is IdP-initiated.
		out = append(out, Tile{AppID: a.ID, Name: a.DisplayName,
			URL: cmp.Or(cfg.SignOnURL, "/saml/"+url.PathEscape(a.ID)+"/start")})
	}
	return out, nil
}

// handleMyApps serves the My Apps portal.
func (p *IdP) handleMyApps(w http.ResponseWriter, r *http.Request) {
	_, user, ok := p.Auth.RequireLogin(w, r, false)
	if !ok {
		return
	}
	tiles, err := p.MyApps(r, user)
	if err != nil {
		p.internalError(w, r, err)
		return
	}
	p.render(w, http.StatusOK, myAppsPage, map[string]any{"User": user, "Tiles": tiles})
}

// --- pages ---

var (
	layout = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{block "title" .}}{{end}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f5f5f5}
main{max-width:60rem;margin:2rem auto;padding:0 1rem}
ul.tiles{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:1rem}
ul.tiles a{display:block;padding:1.5rem 1rem;background:#fff;border:1px solid #8a8886;border-radius:.5rem;color:#0f4a85;text-decoration:none;font-weight:600}
ul.tiles a:hover,ul.tiles a:focus-visible{outline:3px solid #0f4a85;outline-offset:2px}
</style>
</head>
<body>
<main id="main">{{block "main" .}}{{end}}</main>
</body>
</html>`
	myAppsPage = template.Must(template.Must(template.New("myapps").Parse(layout)).Parse(`
{{define "title"}}My Apps{{end}}
{{define "main"}}
<h1>My Apps</h1>
<p>Signed in as {{.User.DisplayName}} ({{.User.UserPrincipalName}}).</p>
{{if .Tiles}}
<ul class="tiles" aria-label="Your applications">
{{range .Tiles}}<li><a href="{{.URL}}">{{.Name}}</a></li>
{{end}}</ul>
{{else}}
<p>No applications are assigned to you yet.</p>
{{end}}
<p><a href="/myaccess">My access</a>: activate the groups you are eligible for, and approve requests.</p>
{{end}}`))
	errorTemplate = template.Must(template.Must(template.New("error").Parse(layout)).Parse(`
{{define "title"}}{{.Title}}{{end}}
{{define "main"}}
<h1>{{.Title}}</h1>
<p role="alert">{{.Message}}</p>
<p><a href="/myapps">Go to My Apps</a></p>
{{end}}`))
)

func (p *IdP) render(w http.ResponseWriter, status int, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if err := t.Execute(w, data); err != nil {
		p.logger().Error("render page", "err", err)
	}
}

func (p *IdP) errorPage(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	p.render(w, status, errorTemplate, map[string]string{"Title": title, "Message": msg})
}

func (p *IdP) internalError(w http.ResponseWriter, r *http.Request, err error) {
	p.logger().Error("saml idp", "path", r.URL.Path, "err", err)
	p.errorPage(w, r, http.StatusInternalServerError, "Something went wrong",
		"The sign-in could not be completed. Try again later.")
}

// postForm answers with the HTTP-POST binding (SAML bindings §3.5.4,
// samlproto.WritePOSTResponse): an auto-submitting form carrying the
// base64 SAMLResponse and RelayState.
func (p *IdP) postForm(w http.ResponseWriter, r *http.Request, acs string, xml []byte, relay string) {
	err := samlproto.WritePOSTResponse(w, acs, xml, relay)
	if errors.Is(err, samlproto.ErrUnsafeACS) {
		p.internalError(w, r, err)
	} else if err != nil {
		p.logger().Info("saml response not delivered", "err", err)
	}
}
