// Package samlsp is the center's SAML 2.0 service provider, in the role of
// AWS IAM Identity Center with an external identity provider: the identity
// source setting, the SP metadata, SP-initiated sign-in, the assertion
// consumer service and the access-portal sessions it creates.
//
// Identifiers. The entity ID is <center_url>/saml/metadata, the URL the
// metadata is served at (GET, SAML metadata §2.4.4 SPSSODescriptor with
// WantAssertionsSigned="true", NameIDFormat emailAddress and one HTTP-POST
// AssertionConsumerService); the ACS is <center_url>/saml/acs.
//
// Flow (SAML profiles §4.1, Web Browser SSO):
//  1. Begin sends an AuthnRequest (SAML core §3.4.1) by the HTTP-Redirect
//     binding (bindings §3.4) and records its ID with an expiry.
//  2. The IdP POSTs a Response (core §3.3.3, bindings §3.5) to the ACS.
//  3. Verify checks it without state: no DTD, xml-roundtrip validation,
//     unique IDs, exactly one Assertion (core §2.3.3) and no
//     EncryptedAssertion, an enveloped XML signature by a configured IdP
//     certificate over the Response or that Assertion (core §5.4, read only
//     from the element the verifier returns), Status Success (core
//     §3.2.2.2), Issuer (core §2.2.5), Destination (core §3.2.2), bearer
//     SubjectConfirmation Recipient and window (core §2.4.1.2, profiles
//     §4.1.4.2), Conditions window and AudienceRestriction (core §2.5.1),
//     an AuthnStatement (core §2.7.2).
//  4. Consume adds the stateful checks — InResponseTo against an outstanding
//     request (profiles §4.1.4.3), the replay cache of assertion IDs
//     (profiles §4.1.4.5), the NameID against an active provisioned user —
//     and in one transaction consumes the request, records the assertion ID
//     and creates the session whose tags are the
//     https://aws.amazon.com/SAML/Attributes/AccessControl:<key> attributes.
//  5. The browser gets the gh_portal cookie and goes to the RelayState if it
//     is a same-origin path, else to /start.
//
// Every refusal is a *Refusal worded like a SAML status, logged, answered
// with 403, and writes nothing.
package samlsp
