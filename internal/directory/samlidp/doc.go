// Package samlidp is the directory's SAML 2.0 identity provider, playing
// Microsoft Entra ID's enterprise-application single sign-on, and its My
// Apps portal.
//
// Each directory app can carry a SAML configuration (Config: SP entity id,
// reply URLs, NameID format and source, signing mode and algorithm,
// claims, MFA requirement, SP certificates), set directly with
// IdP.Configure or from the SP's metadata with IdP.ConfigureFromMetadata
// (SAML metadata §2.4.4), and its own RSA-2048 signing certificates
// (3 years, private keys sealed with secret.Box), one active and any
// number inactive for rollover, all published in the metadata.
//
// Routes (IdP.Mount):
//
//	GET       /saml/{appId}/metadata  IdP metadata (SAML metadata §2.4.3), stable URL, default IdP entity id
//	GET, POST /saml/{appId}/sso       SP-initiated SSO: AuthnRequest by HTTP-Redirect (bindings §3.4) or HTTP-POST (§3.5)
//	GET       /saml/{appId}/start     IdP-initiated SSO (the My Apps tile), RelayState from the query or the app's default
//	GET       /myapps                 My Apps: the signed-in user's assigned apps; a tile goes to the app's sign-on URL (SP-initiated) when it has one
//
// The SP-initiated flow (profiles §4.1.4, core §3.4.1):
//
//  1. decode the AuthnRequest (Redirect: DEFLATE + base64; POST: base64);
//  2. verify its signature when the SP's certificate is known: the query
//     signature of the Redirect binding (bindings §3.4.4.1) or the
//     enveloped XML signature (core §5); refuse a bad one, and an unsigned
//     one when the app requires signed requests;
//  3. check Issuer = the configured SP entity id, the ACS URL against the
//     configured reply URLs, the binding and NameIDPolicy;
//  4. require sign-in through the Authenticator, with MFA when the app
//     requires it;
//  5. require the user to be assigned, directly or through (nested) groups;
//  6. answer with a Response (core §3.2.2) holding exactly one Assertion
//     (core §2.3.3), signed as configured with exclusive C14N, the
//     signature right after the Issuer (core §5.4), POSTed to the ACS by an
//     auto-submitting form (bindings §3.5.4).
//
// The protocol itself (building and signing the Response, the POST form,
// the metadata document, generating certificates) is internal/samlproto,
// shared with the center's portal; this package decides what is the
// directory's: which app, which user, NameID and claims, which key.
//
// The Authenticator is the directory's sign-in: *signin.Handler implements
// it as is (signin.Session is an alias of directory.Session), so cmd
// wires IdP{Auth: signinHandler} with no adapter.
package samlidp
