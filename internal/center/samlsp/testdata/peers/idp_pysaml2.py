"""A real IdP (pysaml2, Debian python3-pysaml2; signs through the xmlsec1
binary) issuing a signed SAML Response for our SP.

  /usr/bin/python3 idp_pysaml2.py <idp.key> <idp.crt> <sp-metadata.xml> \
      <email> <response-out.xml> <idp-metadata-out.xml> [InResponseTo]

Both the Response and the Assertion are signed (rsa-sha256, sha256); the
IdP's metadata (unsigned, with its signing certificate) is written too so the
SP can be configured from it.
"""
import re
import sys

from saml2 import BINDING_HTTP_REDIRECT
from saml2.authn_context import AuthnBroker, PASSWORDPROTECTEDTRANSPORT, authn_context_class_ref
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

IDP_ENTITY = 'https://idp.pysaml2.example.test/metadata'


def main():
    key, crt, spmd, email, out, mdout = sys.argv[1:7]
    irt = sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] else None
    md = open(spmd).read()
    sp_entity = re.search(r'entityID="([^"]+)"', md).group(1)
    acs = re.search(r'AssertionConsumerService[^>]*Location="([^"]+)"', md).group(1)
    conf = IdPConfig()
    conf.load({
        'entityid': IDP_ENTITY,
        'key_file': key,
        'cert_file': crt,
        'xmlsec_binary': '/usr/bin/xmlsec1',
        'metadata': {'local': [spmd]},
        'service': {'idp': {
            'endpoints': {'single_sign_on_service': [('https://idp.pysaml2.example.test/sso', BINDING_HTTP_REDIRECT)]},
            'policy': {'default': {'lifetime': {'minutes': 5},
                                   'name_form': 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri'}},
            'name_id_format': [NAMEID_FORMAT_EMAILADDRESS],
        }},
    })
    broker = AuthnBroker()
    broker.add(authn_context_class_ref(PASSWORDPROTECTEDTRANSPORT), '')
    server = Server(config=conf)
    resp = server.create_authn_response(
        identity={'mail': [email]}, in_response_to=irt, destination=acs, sp_entity_id=sp_entity,
        name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
        sign_assertion=True, sign_response=True,
        authn=broker.get_authn_by_accr(PASSWORDPROTECTEDTRANSPORT),
        sign_alg='http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
        digest_alg='http://www.w3.org/2001/04/xmlenc#sha256')
    with open(out, 'w') as f:
        f.write(str(resp))
    md_out = create_metadata_string(None, config=conf, sign=False)
    with open(mdout, 'wb') as f:
        f.write(md_out if isinstance(md_out, bytes) else md_out.encode())


if __name__ == '__main__':
    main()
