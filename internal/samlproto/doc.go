// Package samlproto is the SAML 2.0 identity-provider protocol code that
// both halves use, with no I/O beyond writing one HTTP answer and no
// knowledge of either half's domain: the directory's IdP
// (internal/directory/samlidp, Entra's role) signs users in to SPs with it,
// and the center's access portal (internal/center/portal, IAM Identity
// Center's role) signs users in to the AWS console with it.
//
// It builds:
//
//   - a samlp:Response (SAML core §3.2.2) holding exactly one
//     saml:Assertion (core §2.3.3) as the Web Browser SSO profile requires
//     (profiles §4.1.4.2): Issuer, Subject with NameID and a bearer
//     SubjectConfirmation (Recipient, NotOnOrAfter, InResponseTo),
//     Conditions with an AudienceRestriction, AuthnStatement and
//     AttributeStatement (BuildResponse);
//   - its enveloped XML signatures over the Assertion, the Response or both
//     with goxmldsig: exclusive C14N (no inclusive prefixes),
//     RSA-SHA256 by default, the ds:Signature placed right after the
//     element's Issuer as the schema requires (core §5.4, XML-DSig §6.6.4)
//     (Signer, SignAfterIssuer);
//   - the HTTP-POST binding's auto-submitting form (bindings §3.5.4), with
//     a nonce-based Content-Security-Policy (WritePOSTResponse);
//   - IdP metadata, an EntityDescriptor with an IDPSSODescriptor (metadata
//     §2.4.3): signing certificates, NameID formats and SingleSignOnService
//     endpoints (IdPMetadata.XML).
//
// Parsing what SPs and IdPs send stays with each half (samlidp reads
// AuthnRequests and SP metadata; samlsp reads Responses and IdP metadata).
package samlproto
