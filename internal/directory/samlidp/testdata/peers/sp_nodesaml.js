// A real SP (@node-saml/node-saml, pinned in tools/peers) validating a
// SAMLResponse issued by our IdP.
//
//   node sp_nodesaml.js <response.b64> <idp-cert.pem> <audience> <acsUrl>
//
// WANT_RESPONSE_SIGNED=1 also requires the Response signature;
// WANT_ASSERTION_SIGNED=0 drops the Assertion signature requirement.
// Prints one JSON line: {"ok":true,"nameID":...} (exit 0) or
// {"ok":false,"error":...} (exit 1). Run with NODE_PATH=tools/peers/node_modules.
'use strict';
const fs = require('fs');
const { SAML } = require('@node-saml/node-saml');

const [file, certFile, audience, acs] = process.argv.slice(2);
if (!file || !certFile || !audience || !acs) {
  console.error('usage: sp_nodesaml.js <response.b64> <idp-cert.pem> <audience> <acsUrl>');
  process.exit(2);
}
const saml = new SAML({
  idpCert: fs.readFileSync(certFile, 'utf8'),
  issuer: audience,
  audience,
  callbackUrl: acs,
  wantAssertionsSigned: process.env.WANT_ASSERTION_SIGNED !== '0',
  wantAuthnResponseSigned: process.env.WANT_RESPONSE_SIGNED === '1',
  validateInResponseTo: 'never',
  acceptedClockSkewMs: 5000,
});
saml.validatePostResponseAsync({ SAMLResponse: fs.readFileSync(file, 'utf8').trim() })
  .then(({ profile }) => {
    console.log(JSON.stringify({
      ok: true,
      nameID: profile.nameID,
      nameIDFormat: profile.nameIDFormat,
      issuer: profile.issuer,
      attributes: profile.attributes || {},
    }));
  })
  .catch((e) => {
    console.log(JSON.stringify({ ok: false, error: e.message }));
    process.exit(1);
  });
