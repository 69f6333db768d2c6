package console

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// An app's SAML single sign-on (Entra's "Set up single sign-on with SAML"):
// the basic configuration as samlidp.Config holds it, set by hand or from
// the SP's metadata (samlidp.IdP.ConfigureFromMetadata); the claims
// ("Attributes & Claims", AWS's ABAC, session-tag and IAM role claims
// included); and the signing certificates with their rollover (create,
// publish through the federation metadata, activate, delete the old one).
// samlidp validates every configuration it stores; the checks here come
// first only to put each message next to its field.

func (h *Handler) mountSAML(get, post func(string, func(http.ResponseWriter, *http.Request, *access))) {
	get("/apps/{id}/saml", h.samlPage)
	post("/apps/{id}/saml", h.saveSAML)
	post("/apps/{id}/saml/metadata", h.uploadSPMetadata)
	post("/apps/{id}/saml/claims", h.saveClaim)
	post("/apps/{id}/saml/claims/remove", h.removeClaim)
	post("/apps/{id}/saml/claims/reset", h.resetClaims)
	post("/apps/{id}/saml/claims/aws-roles", h.saveAWSRoles)
	post("/apps/{id}/saml/certificates", h.newCertificate)
	post("/apps/{id}/saml/certificates/activate", h.activateCertificate)
	post("/apps/{id}/saml/certificates/remove", h.removeCertificate)
	get("/apps/{id}/saml/certificates/{cert}", h.downloadCertificate)
}

// The choices of the single sign-on page's selects.
var (
	nameIDFormats = []choice{
		{samlidp.NameIDEmail, "Email address"},
		{samlidp.NameIDPersistent, "Persistent (an opaque identifier per user and app)"},
		{samlidp.NameIDUnspecified, "Unspecified"},
		{samlidp.NameIDTransient, "Transient (new at every sign-in)"},
	}
	signingModes = []choice{
		{samlidp.SignAssertion, "Sign SAML assertion"},
		{samlidp.SignResponse, "Sign SAML response"},
		{samlidp.SignBoth, "Sign SAML response and assertion"},
	}
	signatureAlgorithms = []choice{{samlidp.RSASHA256, "SHA-256"}, {samlidp.RSASHA1, "SHA-1"}}
	// claimKinds: a claim named as typed, or one of AWS's attribute
	// families whose name samlidp builds from a key.
	claimKinds = []choice{
		{"custom", "Claim name as typed"},
		{"accessControl", "AWS IAM Identity Center attribute for access control (AccessControl:key)"},
		{"principalTag", "AWS session tag (PrincipalTag:key)"},
	}
)

// isChoice reports whether v is one of the choices.
func isChoice(opts []choice, v string) bool {
	return slices.ContainsFunc(opts, func(o choice) bool { return o.Value == v })
}

// userAttributes are the user attributes a claim or the NameID can come
// from: the Graph attributes of directory.User that hold text (samlidp
// reads a user's attributes by their JSON names), with Entra's objectId
// for the object id.
var userAttributes = func() []string {
	out := []string{"objectId"}
	t := reflect.TypeFor[directory.User]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "id" || (f.Type.Kind() != reflect.String && f.Type != reflect.TypeFor[[]string]()) {
			continue
		}
		out = append(out, name)
	}
	return out
}()

// userAttribute is the attribute's canonical name, case-insensitively and
// with Entra's "user." prefix accepted; "" when there is none such.
func userAttribute(name string) string {
	name = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(name)), "user.")
	for _, a := range userAttributes {
		if strings.ToLower(a) == name {
			return a
		}
	}
	return ""
}

// lines splits a textarea into its non-empty, trimmed lines.
func lines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// maxEntityID is the longest entity id SAML allows (metadata §2.3.2).
const maxEntityID = 1024

// checkEntityID says what is wrong with an entity id, or "".
func checkEntityID(id string) string {
	switch {
	case utf8.RuneCountInString(id) > maxEntityID:
		return "An entity id is at most 1,024 characters long."
	case strings.ContainsFunc(id, func(c rune) bool { return c <= ' ' || c == 0x7f }):
		return "An entity id contains no spaces or control characters."
	}
	return ""
}

// checkReplyURL says what is wrong with an ACS URL, or "".
func checkReplyURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute https:// or http:// URL.", s)
	}
	return ""
}

type certRow struct {
	*samlidp.Cert
	Expired, Expiring bool
	DaysLeft          int
}

type claimRow struct {
	samlidp.Claim
	Values string
}

// certYears are the lifetimes a new certificate may have.
var certYears = []choice{{"1", "1 year"}, {"2", "2 years"}, {"3", "3 years"}}

type samlData struct {
	formControls
	Tabs appTabs
	App  *directory.App
	// Cfg is nil until the app has a SAML configuration.
	Cfg *samlidp.Config
	// The IdP's side, for the SP: its federation metadata, entity id,
	// sign-in URL and the IdP-initiated start URL (My Apps' tile).
	MetadataURL, IdPEntityID, SSOURL, StartURL string
	Certs                                      []certRow
	// CertWarning: the active certificate expires within
	// samlidp.ExpiryWarning, or has expired.
	CertWarning                                bool
	Claims                                     []claimRow
	NameIDFormats, Signings, Algorithms, Kinds []choice
	// Attributes are the user attributes; Sources the same with "no
	// attribute" first, for a claim of constant values.
	Attributes, Sources []choice
	Years               []choice
}

// control is a select or a textarea for the page's "select" and
// "textarea" templates (web's "field" template draws inputs only).
type control struct {
	Name, Label, Hint, Value, Error string
	Options                         []choice
}

// Label is the label of v among opts, or v.
func (samlData) Label(opts []choice, v string) string {
	if i := slices.IndexFunc(opts, func(o choice) bool { return o.Value == v }); i >= 0 {
		return opts[i].Label
	}
	return v
}

// samlForm are the form values of a configuration, for its form.
func samlForm(c *samlidp.Config) map[string]string {
	f := map[string]string{"entityId": c.EntityID, "acsUrls": strings.Join(c.ACSURLs, "\n"), "signOnUrl": c.SignOnURL,
		"relayState":   c.RelayState,
		"nameIdFormat": c.NameIDFormat, "nameIdSource": userAttribute(c.NameIDSource), "signing": c.Signing,
		"signatureAlgorithm": c.SignatureAlgorithm, "idpEntityId": c.IdPEntityID, "claimKind": "custom", "certYears": "3"}
	if c.RequireMFA {
		f["requireMfa"] = "1"
	}
	if c.RequireSignedRequests {
		f["requireSignedRequests"] = "1"
	}
	return f
}

// loadSAML reads the app and its single sign-on for the page; the form
// holds the stored configuration (or the defaults of a new one).
func (h *Handler) loadSAML(w http.ResponseWriter, r *http.Request) (*samlData, map[string]string, bool) {
	app, ok := h.loadApp(w, r)
	if !ok {
		return nil, nil, false
	}
	ctx := r.Context()
	d := &samlData{Tabs: h.tabs(app, "saml"), App: app, NameIDFormats: nameIDFormats, Signings: signingModes,
		Algorithms: signatureAlgorithms, Kinds: claimKinds, Years: certYears,
		Sources: []choice{{"", "None: constant values"}}}
	for _, name := range userAttributes {
		d.Attributes = append(d.Attributes, choice{name, "user." + name})
	}
	d.Sources = append(d.Sources, d.Attributes...)
	cfg, err := h.IdP.Config(ctx, app.ID)
	switch {
	case err == nil:
		d.Cfg = cfg
	case errors.Is(err, directory.ErrNotFound):
		// What a new configuration starts from: samlidp's defaults.
		cfg = &samlidp.Config{AppID: app.ID, NameIDFormat: samlidp.NameIDEmail, NameIDSource: "userPrincipalName",
			Signing: samlidp.SignAssertion, SignatureAlgorithm: samlidp.RSASHA256}
	default:
		h.fail(w, r, "read SAML configuration", err)
		return nil, nil, false
	}
	d.MetadataURL = h.IdP.MetadataURL(r, app.ID)
	// The IdP serves an app under /saml/{appId}/: metadata, sso, start.
	root := strings.TrimSuffix(d.MetadataURL, "/metadata")
	d.SSOURL, d.StartURL = root+"/sso", root+"/start"
	d.IdPEntityID = cmp.Or(cfg.IdPEntityID, d.MetadataURL)
	if d.Cfg != nil {
		for _, c := range d.Cfg.Claims {
			d.Claims = append(d.Claims, claimRow{Claim: c, Values: strings.Join(c.Values, ", ")})
		}
	}
	certs, err := h.IdP.Certificates(ctx, app.ID)
	if err != nil {
		h.fail(w, r, "list certificates", err)
		return nil, nil, false
	}
	now := h.now()
	for _, c := range certs {
		row := certRow{Cert: c, Expired: !now.Before(c.NotAfter),
			Expiring: now.Add(samlidp.ExpiryWarning).After(c.NotAfter), DaysLeft: int(c.NotAfter.Sub(now).Hours() / 24)}
		d.CertWarning = d.CertWarning || (c.Active && row.Expiring)
		d.Certs = append(d.Certs, row)
	}
	return d, samlForm(cfg), true
}

func (h *Handler) samlPage(w http.ResponseWriter, r *http.Request, a *access) {
	d, form, ok := h.loadSAML(w, r)
	if !ok {
		return
	}
	p := h.page(r, a, "Single sign-on: "+d.App.DisplayName, Prefix+"/apps", d)
	p.Form = form
	// ?claim=NAME fills the claim form with that claim, to edit it.
	if name := r.URL.Query().Get("claim"); name != "" && d.Cfg != nil {
		for _, c := range d.Cfg.Claims {
			if c.Name == name {
				p.Form["claimName"], p.Form["claimSource"] = c.Name, userAttribute(c.Source)
				p.Form["claimValues"] = strings.Join(c.Values, "\n")
			}
		}
	}
	h.render(w, "saml", http.StatusOK, p)
}

// samlError shows the page again with the posted values of the form that
// failed over the stored ones, and the messages next to their fields.
func (h *Handler) samlError(w http.ResponseWriter, r *http.Request, a *access, posted map[string]string, errs web.Errors, msg string) {
	d, form, ok := h.loadSAML(w, r)
	if !ok {
		return
	}
	p := h.page(r, a, "Single sign-on: "+d.App.DisplayName, Prefix+"/apps", d)
	p.Form = form
	for k, v := range posted {
		p.Form[k] = v
	}
	refuse(p, errs, msg)
	h.render(w, "saml", formErrorStatus, p)
}

// configureSAML stores c through the IdP and redirects with done; what the
// IdP refuses is shown by fail, keyed by the field it concerns when the
// error says which.
func (h *Handler) configureSAML(w http.ResponseWriter, r *http.Request, a *access, c *samlidp.Config, done string,
	fail func(errs web.Errors)) {
	_, err := h.IdP.Configure(r.Context(), c)
	switch {
	case errors.Is(err, directory.ErrConflict):
		fail(web.Errors{"entityId": "Another application already uses this identifier (entity id)."})
		return
	case errors.Is(err, directory.ErrInvalid):
		fail(web.Errors{"": web.Sentence(err.Error())})
		return
	case errors.Is(err, directory.ErrNotFound):
		h.notFound(w)
		return
	case err != nil:
		h.fail(w, r, "configure SAML", err)
		return
	}
	h.log().Info("console: SAML configuration changed", "admin", a.u.UserPrincipalName, "app", c.AppID, "change", done)
	redirect(w, r, Prefix+"/apps/"+c.AppID+"/saml", done)
}

// storedSAML reads the app of the path and its SAML configuration, nil
// when it has none: what every change of the configuration starts from.
// It answers 404 (no such app) and 500 itself.
func (h *Handler) storedSAML(w http.ResponseWriter, r *http.Request) (*directory.App, *samlidp.Config, bool) {
	app, ok := h.loadApp(w, r)
	if !ok {
		return nil, nil, false
	}
	c, err := h.IdP.Config(r.Context(), app.ID)
	if errors.Is(err, directory.ErrNotFound) {
		return app, nil, true
	}
	if err != nil {
		h.fail(w, r, "read SAML configuration", err)
		return nil, nil, false
	}
	return app, c, true
}

// msgClaimsNeedConfig refuses a claim change on an app without SAML
// configuration.
const msgClaimsNeedConfig = "Set up the basic SAML configuration first: claims belong to it."

// saveSAML stores the basic SAML configuration; claims and the SP's
// certificates are kept.
func (h *Handler) saveSAML(w http.ResponseWriter, r *http.Request, a *access) {
	app, c, ok := h.storedSAML(w, r)
	if !ok {
		return
	}
	f := formValues(r, "entityId", "acsUrls", "signOnUrl", "relayState", "nameIdFormat", "nameIdSource", "signing",
		"signatureAlgorithm", "idpEntityId", "requireMfa", "requireSignedRequests")
	if c == nil {
		c = &samlidp.Config{AppID: app.ID}
	}
	errs := web.Errors{}
	if f["entityId"] == "" {
		errs.Add("entityId", "Enter the service provider's identifier (entity id).")
	} else if m := checkEntityID(f["entityId"]); m != "" {
		errs.Add("entityId", m)
	}
	acs := lines(f["acsUrls"])
	if len(acs) == 0 {
		errs.Add("acsUrls", "Enter at least one reply URL (Assertion Consumer Service URL).")
	}
	for _, u := range acs {
		if m := checkReplyURL(u); m != "" {
			errs.Add("acsUrls", m)
		}
	}
	if f["signOnUrl"] != "" {
		if m := checkReplyURL(f["signOnUrl"]); m != "" {
			errs.Add("signOnUrl", m)
		}
	}
	if len(f["relayState"]) > samlidp.MaxRelayState {
		errs.Add("relayState", fmt.Sprintf("Shorten the relay state to at most %d characters.", samlidp.MaxRelayState))
	}
	if !isChoice(nameIDFormats, f["nameIdFormat"]) {
		errs.Add("nameIdFormat", "Choose one of the name identifier formats.")
	}
	source := userAttribute(f["nameIdSource"])
	if source == "" {
		errs.Add("nameIdSource", "Choose the user attribute the name identifier comes from.")
	}
	if !isChoice(signingModes, f["signing"]) {
		errs.Add("signing", "Choose what is signed.")
	}
	if !isChoice(signatureAlgorithms, f["signatureAlgorithm"]) {
		errs.Add("signatureAlgorithm", "Choose SHA-256 or SHA-1.")
	}
	if m := checkEntityID(f["idpEntityId"]); m != "" {
		errs.Add("idpEntityId", m)
	}
	signed := f["requireSignedRequests"] != ""
	if signed && len(c.SPCertificates) == 0 {
		errs.Add("requireSignedRequests", "Upload the service provider's metadata with its signing certificate first: without it no signature can be checked.")
	}
	fail := func(errs web.Errors) {
		h.samlError(w, r, a, f, errs, "The single sign-on settings were not saved: correct the fields marked below.")
	}
	if errs.Has() {
		fail(errs)
		return
	}
	c.EntityID, c.ACSURLs, c.NameIDFormat, c.NameIDSource = f["entityId"], acs, f["nameIdFormat"], source
	c.SignOnURL, c.RelayState = f["signOnUrl"], f["relayState"]
	c.Signing, c.SignatureAlgorithm, c.IdPEntityID = f["signing"], f["signatureAlgorithm"], f["idpEntityId"]
	c.RequireMFA, c.RequireSignedRequests = f["requireMfa"] != "", signed
	h.configureSAML(w, r, a, c, "saml-saved", fail)
}

// uploadSPMetadata configures the app from the SP's metadata, uploaded as
// a file or pasted (SAML metadata §2.4.4: entity id, ACS URLs, signing
// certificates, NameID format).
func (h *Handler) uploadSPMetadata(w http.ResponseWriter, r *http.Request, a *access) {
	app, ok := h.loadApp(w, r)
	if !ok {
		return
	}
	md, err := web.Upload(r, "metadata", "metadataText", maxFormBytes)
	if err != nil {
		h.fail(w, r, "read upload", err)
		return
	}
	fail := func(msg string) {
		h.samlError(w, r, a, nil, web.Errors{"metadata": msg},
			"The service provider's metadata was not applied: correct the field marked below.")
	}
	if len(md) == 0 {
		fail("Choose the service provider's SAML metadata file (XML), or paste it.")
		return
	}
	_, err = h.IdP.ConfigureFromMetadata(r.Context(), app.ID, md)
	switch {
	case errors.Is(err, directory.ErrConflict):
		fail("Another application already uses the entity id of this metadata.")
		return
	case errors.Is(err, directory.ErrInvalid):
		fail(web.Sentence(err.Error()))
		return
	case errors.Is(err, directory.ErrNotFound):
		h.notFound(w)
		return
	case err != nil:
		h.fail(w, r, "apply SP metadata", err)
		return
	}
	h.log().Info("console: SAML configured from SP metadata", "admin", a.u.UserPrincipalName, "app", app.ID)
	redirect(w, r, Prefix+"/apps/"+app.ID+"/saml", "metadata")
}

// awsTagKey is what AWS allows in a session tag key (IAM "Tagging AWS STS
// sessions": 1 to 128 letters, digits, spaces and _ . : / = + - @).
var awsTagKey = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)

// maxClaimName bounds a claim's name (Entra's limit for a claim name).
const maxClaimName = 256

// saveClaim adds a claim, or replaces the claim of the same name.
func (h *Handler) saveClaim(w http.ResponseWriter, r *http.Request, a *access) {
	_, c, ok := h.storedSAML(w, r)
	if !ok {
		return
	}
	f := formValues(r, "claimKind", "claimName", "claimSource", "claimValues")
	fail := func(errs web.Errors) {
		h.samlError(w, r, a, f, errs, "The claim was not saved: correct the fields marked below.")
	}
	if c == nil {
		fail(web.Errors{"": msgClaimsNeedConfig})
		return
	}
	errs := web.Errors{}
	source, values := "", lines(f["claimValues"])
	if f["claimSource"] != "" {
		if source = userAttribute(f["claimSource"]); source == "" {
			errs.Add("claimSource", "No user attribute has this name.")
		}
	}
	var claim samlidp.Claim
	switch f["claimKind"] {
	case "custom":
		switch n := utf8.RuneCountInString(f["claimName"]); {
		case n == 0:
			errs.Add("claimName", "Enter the claim's name, such as a URI.")
		case n > maxClaimName:
			errs.Add("claimName", "A claim name is at most 256 characters long.")
		case strings.ContainsFunc(f["claimName"], func(c rune) bool { return c < ' ' || c == 0x7f }):
			errs.Add("claimName", "The name contains control characters.")
		}
		claim = samlidp.Claim{Name: f["claimName"], Source: source, Values: values}
	case "accessControl", "principalTag":
		if !awsTagKey.MatchString(f["claimName"]) {
			errs.Add("claimName", "Enter the key: 1 to 128 letters, digits, spaces and _ . : / = + - @.")
		}
		if f["claimSource"] == "" {
			errs.Add("claimSource", "Choose the user attribute the value comes from.")
		}
		if f["claimKind"] == "accessControl" {
			claim = samlidp.AccessControl(f["claimName"], source)
		} else {
			claim = samlidp.PrincipalTag(f["claimName"], source)
		}
	default:
		errs.Add("claimKind", "Choose the kind of claim.")
	}
	switch {
	case f["claimSource"] == "" && len(values) == 0 && !errs.Has():
		errs.Add("claimValues", "Choose a source attribute, or enter the claim's values, one per line.")
	case f["claimSource"] != "" && len(values) > 0:
		errs.Add("claimValues", "A claim comes from a source attribute or from values, not both: empty one of them.")
	}
	if errs.Has() {
		fail(errs)
		return
	}
	if i := slices.IndexFunc(c.Claims, func(x samlidp.Claim) bool { return x.Name == claim.Name }); i >= 0 {
		c.Claims[i] = claim
	} else {
		c.Claims = append(c.Claims, claim)
	}
	h.configureSAML(w, r, a, c, "claim-saved", fail)
}

func (h *Handler) removeClaim(w http.ResponseWriter, r *http.Request, a *access) {
	_, c, ok := h.storedSAML(w, r)
	if !ok {
		return
	}
	name := r.PostFormValue("claim")
	if c == nil || !slices.ContainsFunc(c.Claims, func(x samlidp.Claim) bool { return x.Name == name }) {
		h.notFound(w)
		return
	}
	// An empty, non-nil list: no claims at all, not the defaults.
	c.Claims = slices.DeleteFunc(slices.Clone(c.Claims), func(x samlidp.Claim) bool { return x.Name == name })
	if c.Claims == nil {
		c.Claims = []samlidp.Claim{}
	}
	h.configureSAML(w, r, a, c, "claim-removed", func(errs web.Errors) {
		h.samlError(w, r, a, nil, errs, "The claim was not removed.")
	})
}

// resetClaims puts back Entra's default claims (samlidp.DefaultClaims).
func (h *Handler) resetClaims(w http.ResponseWriter, r *http.Request, a *access) {
	_, c, ok := h.storedSAML(w, r)
	if !ok {
		return
	}
	if c == nil {
		h.notFound(w)
		return
	}
	c.Claims = samlidp.DefaultClaims()
	h.configureSAML(w, r, a, c, "claims-reset", func(errs web.Errors) {
		h.samlError(w, r, a, nil, errs, "The claims were not reset.")
	})
}

// AWS IAM role ARNs as the Role claim pairs them ("Configuring SAML
// assertions for the authentication response", IAM User Guide): a role
// and the SAML provider that trusts the IdP, in either order.
var (
	roleARN     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)
	providerARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:saml-provider/[\w.-]{1,128}$`)
)

// Limits of AWS's SessionDuration attribute, in seconds (15 minutes to 12
// hours).
const (
	minAWSSession = 900
	maxAWSSession = 43200
)

// saveAWSRoles sets the claims of AWS IAM SAML federation
// (samlidp.AWSIAMClaims): Role, RoleSessionName and, if given,
// SessionDuration, replacing any earlier ones.
func (h *Handler) saveAWSRoles(w http.ResponseWriter, r *http.Request, a *access) {
	_, c, ok := h.storedSAML(w, r)
	if !ok {
		return
	}
	f := formValues(r, "awsRoles", "awsSessionDuration")
	fail := func(errs web.Errors) {
		h.samlError(w, r, a, f, errs, "The AWS IAM role claims were not saved: correct the fields marked below.")
	}
	if c == nil {
		fail(web.Errors{"": msgClaimsNeedConfig})
		return
	}
	errs := web.Errors{}
	var roles []string
	for _, l := range lines(f["awsRoles"]) {
		x, y, _ := strings.Cut(strings.ReplaceAll(l, " ", ""), ",")
		if providerARN.MatchString(x) && roleARN.MatchString(y) {
			x, y = y, x
		}
		if !roleARN.MatchString(x) || !providerARN.MatchString(y) {
			errs.Add("awsRoles", fmt.Sprintf("%q is not a role ARN and a SAML provider ARN separated by a comma.", l))
			continue
		}
		roles = append(roles, x+","+y)
	}
	if len(roles) == 0 {
		errs.Add("awsRoles", "Enter at least one role: its ARN and the SAML provider's ARN, separated by a comma.")
	}
	secs := 0
	if s := f["awsSessionDuration"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < minAWSSession || n > maxAWSSession {
			errs.Add("awsSessionDuration", "Enter a whole number of seconds from 900 to 43200, or nothing.")
		}
		secs = n
	}
	if errs.Has() {
		fail(errs)
		return
	}
	aws := samlidp.AWSIAMClaims(roles, secs)
	claims := slices.DeleteFunc(slices.Clone(c.Claims), func(x samlidp.Claim) bool {
		return x.Name == samlidp.AWSRole || x.Name == samlidp.AWSRoleSessionName || x.Name == samlidp.AWSSessionDuration
	})
	c.Claims = append(claims, aws...)
	h.configureSAML(w, r, a, c, "aws-roles", fail)
}

// --- certificates ---

// appCert reads the app of the path and one of its certificates, answering
// 404 itself.
func (h *Handler) appCert(w http.ResponseWriter, r *http.Request, certID string) (*directory.App, *samlidp.Cert, bool) {
	app, ok := h.loadApp(w, r)
	if !ok {
		return nil, nil, false
	}
	certs, err := h.IdP.Certificates(r.Context(), app.ID)
	if err != nil {
		h.fail(w, r, "list certificates", err)
		return nil, nil, false
	}
	i := slices.IndexFunc(certs, func(c *samlidp.Cert) bool { return c.ID == certID })
	if i < 0 {
		h.notFound(w)
		return nil, nil, false
	}
	return app, certs[i], true
}

// certChanged logs a change of a certificate and goes back to the page.
func (h *Handler) certChanged(w http.ResponseWriter, r *http.Request, a *access, c *samlidp.Cert, done string) {
	h.log().Info("console: SAML certificate "+done, "admin", a.u.UserPrincipalName, "app", c.AppID,
		"thumbprint", c.Thumbprint(), "active", c.Active)
	redirect(w, r, Prefix+"/apps/"+c.AppID+"/saml", done)
}

// newCertificate creates an inactive certificate (the app's first is
// active) valid for 1 to 3 years, as Entra's "New Certificate".
func (h *Handler) newCertificate(w http.ResponseWriter, r *http.Request, a *access) {
	app, ok := h.loadApp(w, r)
	if !ok {
		return
	}
	f := formValues(r, "certYears")
	years, err := strconv.Atoi(f["certYears"])
	if err != nil || years < 1 || years > 3 {
		h.samlError(w, r, a, f, web.Errors{"certYears": "Choose 1, 2 or 3 years."}, "No certificate was created.")
		return
	}
	c, err := h.IdP.NewCertificate(r.Context(), app.ID, time.Duration(years)*365*24*time.Hour)
	if !h.found(w, r, err, "new certificate") {
		return
	}
	h.certChanged(w, r, a, c, "cert-created")
}

// activateCertificate makes a certificate the one responses are signed
// with; the previous one stays published in the metadata until deleted.
func (h *Handler) activateCertificate(w http.ResponseWriter, r *http.Request, a *access) {
	app, c, ok := h.appCert(w, r, r.PostFormValue("cert"))
	if !ok {
		return
	}
	if !h.now().Before(c.NotAfter) {
		h.samlError(w, r, a, nil, web.Errors{}, "This certificate has expired and cannot sign: create a new one.")
		return
	}
	if err := h.IdP.ActivateCertificate(r.Context(), app.ID, c.ID); err != nil {
		h.fail(w, r, "activate certificate", err)
		return
	}
	h.certChanged(w, r, a, c, "cert-active")
}

// removeCertificate deletes an inactive certificate.
func (h *Handler) removeCertificate(w http.ResponseWriter, r *http.Request, a *access) {
	app, c, ok := h.appCert(w, r, r.PostFormValue("cert"))
	if !ok {
		return
	}
	err := h.IdP.RemoveCertificate(r.Context(), app.ID, c.ID)
	if errors.Is(err, directory.ErrInvalid) {
		h.samlError(w, r, a, nil, web.Errors{}, "The active certificate cannot be deleted: make another one active first.")
		return
	}
	if err != nil {
		h.fail(w, r, "delete certificate", err)
		return
	}
	h.certChanged(w, r, a, c, "cert-removed")
}

// downloadCertificate sends a certificate in PEM form (Entra's
// "Certificate (Base64)"), for SPs configured by hand.
func (h *Handler) downloadCertificate(w http.ResponseWriter, r *http.Request, a *access) {
	_, c, ok := h.appCert(w, r, r.PathValue("cert"))
	if !ok {
		return
	}
	web.Secure(w)
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", `attachment; filename="gatehouse-saml-`+c.Thumbprint()+`.pem"`)
	io.WriteString(w, c.PEM())
}

// samlControls are the select and textarea partials of the SAML page.
const samlControls = `{{define "select"}}<div class="field"><label for="f-{{.Name}}">{{.Label}}</label>
<select id="f-{{.Name}}" name="{{.Name}}"{{if .Error}} aria-invalid="true" aria-describedby="err-{{.Name}}"{{else if .Hint}} aria-describedby="hint-{{.Name}}"{{end}}>
{{range .Options}}<option value="{{.Value}}"{{if eq .Value $.Value}} selected{{end}}>{{.Label}}</option>{{end}}</select>
{{if .Hint}}<p class="muted" id="hint-{{.Name}}">{{.Hint}}</p>{{end}}
{{if .Error}}<p class="field-error" id="err-{{.Name}}">{{.Error}}</p>{{end}}</div>{{end}}
{{define "textarea"}}<div class="field"><label for="f-{{.Name}}">{{.Label}}</label>
<textarea id="f-{{.Name}}" name="{{.Name}}" rows="3" spellcheck="false"{{if .Error}} aria-invalid="true" aria-describedby="err-{{.Name}}"{{else if .Hint}} aria-describedby="hint-{{.Name}}"{{end}}>{{.Value}}</textarea>
{{if .Hint}}<p class="muted" id="hint-{{.Name}}">{{.Hint}}</p>{{end}}
{{if .Error}}<p class="field-error" id="err-{{.Name}}">{{.Error}}</p>{{end}}</div>{{end}}`

// samlPages is the single sign-on page.
var samlPages = map[string]string{
	"saml": appTabsTemplate + samlControls + `{{define "content"}}{{$d := .Data}}{{$c := $d.Cfg}}{{template "apptabs" $d.Tabs}}
<section class="card" aria-labelledby="h-idp"><h2 id="h-idp">This identity provider, for the service provider</h2>
<p class="muted">Give the service provider (AWS IAM Identity Center: Settings, Identity source, External identity provider) this application's federation metadata{{if not $c}}, served once the basic configuration below is saved{{end}}.</p>
<dl class="facts">
<dt>App federation metadata URL</dt><dd>{{if $c}}<a href="{{$d.MetadataURL}}" id="idp-metadata">{{$d.MetadataURL}}</a>{{else}}<code>{{$d.MetadataURL}}</code>{{end}}</dd>
<dt>Identifier (entity id)</dt><dd><code id="idp-entity">{{$d.IdPEntityID}}</code></dd>
<dt>Login URL</dt><dd><code>{{$d.SSOURL}}</code></dd>
<dt>User access URL</dt><dd><code>{{$d.StartURL}}</code> <span class="muted">IdP-initiated sign-in, as the My Apps tile; add ?RelayState= to land on a page of the application</span></dd>
</dl></section>

<section class="card" aria-labelledby="h-basic"><h2 id="h-basic">Basic SAML configuration</h2>
{{if $c}}<dl class="facts" id="saml-basic"><dt>Identifier (entity id)</dt><dd><code>{{$c.EntityID}}</code></dd>
<dt>Reply URLs</dt><dd>{{range $i, $u := $c.ACSURLs}}{{if $i}}<br>{{end}}<code>{{$u}}</code>{{if not $i}} (default){{end}}{{end}}</dd>
<dt>Sign on URL</dt><dd id="saml-signon">{{with $c.SignOnURL}}<code>{{.}}</code>{{else}}none: the My Apps tile signs in IdP-initiated{{end}}</dd>
<dt>Relay state</dt><dd id="saml-relay">{{with $c.RelayState}}<code>{{.}}</code>{{else}}none{{end}}</dd>
<dt>Name identifier</dt><dd>user.{{$c.NameIDSource}}, {{$d.Label $d.NameIDFormats $c.NameIDFormat}}</dd>
<dt>Signing</dt><dd>{{$d.Label $d.Signings $c.Signing}}, {{$d.Label $d.Algorithms $c.SignatureAlgorithm}}</dd>
<dt>Multi-factor authentication</dt><dd id="saml-mfa">{{if $c.RequireMFA}}required{{else}}not required{{end}}</dd>
<dt>Authentication requests</dt><dd>{{if $c.RequireSignedRequests}}must be signed{{else}}signed or not{{end}}; {{len $c.SPCertificates}} service provider signing certificates</dd>
<dt>Changed</dt><dd>{{$c.Updated.UTC.Format "2006-01-02 15:04 MST"}}</dd></dl>
{{else}}<p id="saml-basic">Single sign-on is not set up: upload the service provider's metadata, or enter its identifier and reply URL.</p>{{end}}
{{if .CanChange}}<h3>Upload the service provider's metadata</h3>
<form method="post" action="/console/apps/{{$d.App.ID}}/saml/metadata" enctype="multipart/form-data" novalidate>{{template "csrf" .}}
<div class="field"><label for="f-metadata">SAML metadata file</label>
<input type="file" id="f-metadata" name="metadata" accept=".xml,application/xml,application/samlmetadata+xml"{{with index .Errors "metadata"}} aria-invalid="true" aria-describedby="err-metadata"{{else}} aria-describedby="hint-metadata"{{end}}>
<p class="muted" id="hint-metadata">Such as AWS IAM Identity Center's "IAM Identity Center SAML metadata file". It sets the identifier, the reply URLs and the service provider's signing certificates; the other settings are kept.</p>
<label for="f-metadataText">Or paste the metadata</label>
<textarea id="f-metadataText" name="metadataText" rows="4" spellcheck="false"></textarea>
{{with index .Errors "metadata"}}<p class="field-error" id="err-metadata">{{.}}</p>{{end}}</div>
<button type="submit">Apply metadata</button></form>
<h3>Edit by hand</h3>
<form method="post" action="/console/apps/{{$d.App.ID}}/saml" novalidate>{{template "csrf" .}}
{{template "field" (hint "The service provider's entity id: the audience of every assertion" (required (auto "off" (field . "entityId" "Identifier (entity id)" "text"))))}}
{{template "textarea" ($d.Control . "acsUrls" "Reply URLs (Assertion Consumer Service URLs)" "One a line; the first is the default, used for IdP-initiated sign-in" nil)}}
{{template "field" (hint "Optional: the application's own sign-in page. With it, the My Apps tile lets the application start the sign-in; without it, the tile signs in directly" (auto "off" (field . "signOnUrl" "Sign on URL" "url")))}}
{{template "field" (hint "Optional: where the application sends the user after an IdP-initiated sign-in, when the link names no RelayState" (auto "off" (field . "relayState" "Relay state" "text")))}}
{{template "select" ($d.Control . "nameIdFormat" "Name identifier format" "" $d.NameIDFormats)}}
{{template "select" ($d.Control . "nameIdSource" "Name identifier source attribute" "The unique user identifier, for the formats other than persistent and transient" $d.Attributes)}}
{{template "select" ($d.Control . "signing" "Signing option" "" $d.Signings)}}
{{template "select" ($d.Control . "signatureAlgorithm" "Signing algorithm" "" $d.Algorithms)}}
{{template "field" (hint "Empty: the federation metadata URL" (auto "off" (field . "idpEntityId" "This identity provider's identifier (entity id), if not the default" "text")))}}
<fieldset class="checks"><legend>Sign-in policy</legend>
<div><input type="checkbox" id="f-requireMfa" name="requireMfa" value="1"{{if index .Form "requireMfa"}} checked{{end}}>
<label class="inline-label" for="f-requireMfa">Require multi-factor authentication to sign in to this application</label></div>
<div><input type="checkbox" id="f-requireSignedRequests" name="requireSignedRequests" value="1"{{if index .Form "requireSignedRequests"}} checked{{end}}{{with index .Errors "requireSignedRequests"}} aria-invalid="true" aria-describedby="err-requireSignedRequests"{{end}}>
<label class="inline-label" for="f-requireSignedRequests">Require signed authentication requests</label>
{{with index .Errors "requireSignedRequests"}}<p class="field-error" id="err-requireSignedRequests">{{.}}</p>{{end}}</div>
</fieldset>
<button type="submit">Save</button></form>{{end}}
</section>

{{if $c}}<section class="card" aria-labelledby="h-claims"><h2 id="h-claims">Attributes and claims</h2>
<div class="table-wrap"><table id="claims"><thead><tr><th scope="col">Claim name</th><th scope="col">Value</th>{{if .CanChange}}<th scope="col"><span class="muted">Action</span></th>{{end}}</tr></thead><tbody>
<tr><td>Unique user identifier (name ID)</td><td>{{if eq $c.NameIDFormat "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"}}an opaque identifier per user and app{{else if eq $c.NameIDFormat "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"}}new at every sign-in{{else}}user.{{$c.NameIDSource}}{{end}}</td>{{if .CanChange}}<td></td>{{end}}</tr>
{{range $d.Claims}}<tr><td><code>{{.Name}}</code></td><td>{{if .Source}}user.{{.Source}}{{else}}{{.Values}}{{end}}</td>
{{if $.CanChange}}<td><a href="/console/apps/{{$d.App.ID}}/saml?claim={{.Name}}#h-claim" aria-label="Edit the claim {{.Name}}">Edit</a>
<form class="inline" method="post" action="/console/apps/{{$d.App.ID}}/saml/claims/remove">{{template "csrf" $}}<input type="hidden" name="claim" value="{{.Name}}"><button type="submit" class="secondary" aria-label="Remove the claim {{.Name}}">Remove</button></form></td>{{end}}</tr>
{{else}}<tr><td colspan="3">No other claims: the assertion carries the name identifier only.</td></tr>{{end}}</tbody></table></div>
{{if .CanChange}}<h3 id="h-claim">Add or edit a claim</h3>
<form method="post" action="/console/apps/{{$d.App.ID}}/saml/claims" novalidate>{{template "csrf" .}}
{{template "select" ($d.Control . "claimKind" "Kind" "" $d.Kinds)}}
{{template "field" (hint "The attribute's name, such as a URI; for the AWS kinds, the key only. A claim of the same name is replaced." (required (auto "off" (field . "claimName" "Name or key" "text"))))}}
{{template "select" ($d.Control . "claimSource" "Source attribute" "Left out of the assertion for a user who has no value" $d.Sources)}}
{{template "textarea" ($d.Control . "claimValues" "Constant values" "One a line, for a claim without a source attribute" nil)}}
<button type="submit">Save claim</button></form>
<form class="inline" method="post" action="/console/apps/{{$d.App.ID}}/saml/claims/reset">{{template "csrf" .}}<button type="submit" class="secondary">Restore the default claims</button></form>
<h3>AWS IAM role federation</h3>
<p class="muted">For an AWS account that trusts this identity provider through an IAM SAML provider, not through IAM Identity Center: the roles people may assume (Role), the session name (RoleSessionName, from the user principal name) and the session's length (SessionDuration).</p>
<form method="post" action="/console/apps/{{$d.App.ID}}/saml/claims/aws-roles" novalidate>{{template "csrf" .}}
{{template "textarea" ($d.Control . "awsRoles" "Roles" "One a line: the role's ARN, a comma, the SAML provider's ARN" nil)}}
{{template "field" (hint "900 to 43200; empty: the role's own maximum" (field . "awsSessionDuration" "Session duration (seconds)" "number"))}}
<button type="submit">Save AWS role claims</button></form>{{end}}
</section>{{end}}

<section class="card" aria-labelledby="h-certs"><h2 id="h-certs">SAML signing certificates</h2>
{{if $d.CertWarning}}<div class="banner-warn" role="alert">The active certificate expires soon or has expired: create a new one, give it to the service provider, then make it active.</div>{{end}}
<p class="muted">Every certificate is published in the federation metadata; responses are signed with the active one. To roll over: create a new certificate, let the service provider read the metadata (or upload the certificate there), make it active, then delete the old one.</p>
<div class="table-wrap"><table id="certs"><thead><tr><th scope="col">Status</th><th scope="col">Thumbprint (SHA-1)</th><th scope="col">Valid from</th><th scope="col">Expires</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>
{{range $d.Certs}}<tr><td>{{if .Active}}<span class="badge on">active</span>{{else}}<span class="badge">inactive</span>{{end}}</td>
<td><code>{{.Thumbprint}}</code></td><td>{{.NotBefore.UTC.Format "2006-01-02"}}</td>
<td>{{.NotAfter.UTC.Format "2006-01-02"}}{{if .Expired}} <span class="badge off">expired</span>{{else if .Expiring}} <span class="badge warn">expires in {{.DaysLeft}} days</span>{{end}}</td>
<td><a href="/console/apps/{{$d.App.ID}}/saml/certificates/{{.ID}}" download aria-label="Download the certificate {{.Thumbprint}} (PEM)">Download (PEM)</a>
{{if and $.CanChange (not .Active)}}{{if not .Expired}}<form class="inline" method="post" action="/console/apps/{{$d.App.ID}}/saml/certificates/activate">{{template "csrf" $}}<input type="hidden" name="cert" value="{{.ID}}"><button type="submit" aria-label="Make the certificate {{.Thumbprint}} active">Make active</button></form>{{end}}
<form class="inline" method="post" action="/console/apps/{{$d.App.ID}}/saml/certificates/remove">{{template "csrf" $}}<input type="hidden" name="cert" value="{{.ID}}"><button type="submit" class="danger" aria-label="Delete the certificate {{.Thumbprint}}">Delete</button></form>{{end}}</td></tr>
{{else}}<tr><td colspan="5">No certificates: the first is created with the basic configuration.</td></tr>{{end}}</tbody></table></div>
{{if .CanChange}}<form class="inline" method="post" action="/console/apps/{{$d.App.ID}}/saml/certificates" novalidate>{{template "csrf" .}}
{{template "select" ($d.Control . "certYears" "Valid for" "" $d.Years)}}
<button type="submit">New certificate</button></form>{{end}}
</section>
{{end}}`,
}
