import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { isGatehouseError } from '../shared/errors.ts';
import {
  createSamlIdp,
  generateSigningKey,
  readAuthnRequest,
  TEST_IDP_ATTRIBUTE_MAPPING,
  type SamlResponseOptions,
  type SamlTestIdp,
  type SamlTestUser,
  type SignatureWrapping,
} from '../testing/saml-idp.ts';
import {
  normalizeCertificatePem,
  parseIdpMetadata,
  samlLoginRedirect,
  samlServiceProvider,
  serviceProviderMetadata,
  validateSamlResponse,
  type SamlConnectionConfig,
  type SamlIdentity,
} from './saml.ts';

const PUBLIC_URL = 'https://auth.example.test';
const CONNECTION_ID = 'saml-connection-test-5b0f3c1e-8d2a-4c6b-9e7f-1a2b3c4d5e6f';
const SP = samlServiceProvider(CONNECTION_ID, PUBLIC_URL);
const REQUEST_ID = '_3f1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e';
// Far from the real clock on purpose: every time check runs on the `now` given, not on node-saml's clock.
const NOW = new Date('2031-03-04T05:06:07Z');
const ADA: SamlTestUser = { nameId: 'ada@example.com', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', groups: ['engineering', 'admins'] };
const EVIL_EMAIL = 'attacker@evil.example';

let idp: SamlTestIdp;
let config: SamlConnectionConfig;

before(async () => {
  idp = await createSamlIdp();
  config = {
    connection_id: CONNECTION_ID,
    idp_entity_id: idp.entityId,
    idp_sso_url: idp.ssoUrl,
    verification_certificates: [{ certificate_id: 'saml-verification-certificate-1', certificate: idp.certificate }],
    attribute_mapping: TEST_IDP_ATTRIBUTE_MAPPING,
    nameid_format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    alternative_audience_uri: '',
  };
});

function respond(options: Partial<SamlResponseOptions> = {}): string {
  return idp.response({ acsUrl: SP.acs_url, audience: SP.audience_uri, requestId: REQUEST_ID, user: ADA, now: NOW, ...options });
}

function validate(response: string, overrides: Partial<SamlConnectionConfig> = {}, expectedRequestId = REQUEST_ID, now = NOW): Promise<SamlIdentity> {
  return validateSamlResponse({ ...config, ...overrides }, PUBLIC_URL, response, expectedRequestId, now);
}

/** Refused with this error type, a 400, and a message of ours (no library wording). */
async function refused(promise: Promise<unknown>, errorType: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isGatehouseError(error), `expected a GatehouseError, got ${String(error)}`);
    assert.equal(error.errorType, errorType, `expected ${errorType}, got ${error.errorType}: ${error.message}`);
    assert.equal(error.status, 400);
    assert.doesNotMatch(error.message, /Invalid signature|Error parsing|xml-crypto|node-saml|xpath|Referenced node/);
    return true;
  });
}

function decode(response: string): string {
  return Buffer.from(response, 'base64').toString('utf8');
}

function encode(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

describe('valid responses', () => {
  test('assertion signed: the identity, the assertion id and when the assertion stops being accepted', async () => {
    const identity = await validate(respond({ sign: 'assertion', assertionId: '_assertion-1' }));
    assert.equal(identity.external_id, 'ada@example.com');
    assert.equal(identity.email, 'ada@example.com');
    assert.equal(identity.name, 'Ada Lovelace');
    assert.deepEqual(identity.groups, ['engineering', 'admins']);
    assert.deepEqual(identity.attributes, {
      email: ['ada@example.com'],
      firstName: ['Ada'],
      lastName: ['Lovelace'],
      groups: ['engineering', 'admins'],
    });
    assert.equal(identity.assertion_id, '_assertion-1');
    // NotOnOrAfter is NOW + 300 s; the assertion is accepted for 60 s of clock skew beyond it.
    assert.equal(identity.expires_at.getTime(), NOW.getTime() + 300_000 + 60_000);
  });

  test('response signed (assertion not signed on its own)', async () => {
    const identity = await validate(respond({ sign: 'response' }));
    assert.equal(identity.email, 'ada@example.com');
    assert.deepEqual(identity.groups, ['engineering', 'admins']);
  });

  test('response and assertion both signed', async () => {
    assert.equal((await validate(respond({ sign: 'both' }))).email, 'ada@example.com');
  });

  test('any of the connection certificates verifies (rotation)', async () => {
    const old = await generateSigningKey('old IdP key');
    const identity = await validate(respond(), {
      verification_certificates: [
        { certificate_id: 'old', certificate: old.certificate },
        { certificate_id: 'new', certificate: idp.certificate },
      ],
    });
    assert.equal(identity.email, 'ada@example.com');
  });

  test('the alternative audience URI is accepted', async () => {
    const alternative = 'https://app.example.test/saml/audience';
    await refused(validate(respond({ audiences: [alternative] })), 'saml_audience_mismatch');
    const identity = await validate(respond({ audiences: [alternative] }), { alternative_audience_uri: alternative });
    assert.equal(identity.email, 'ada@example.com');
  });

  test('replay is not checked here: the same response validates twice with the same assertion_id for the caller to remember', async () => {
    const response = respond();
    const first = await validate(response);
    const second = await validate(response);
    assert.equal(first.assertion_id, second.assertion_id);
  });
});

describe('signatures', () => {
  test('an unsigned response is refused', async () => {
    await refused(validate(respond({ sign: 'none' })), 'saml_response_unsigned');
  });

  test('a response signed by another key is refused (its certificate in KeyInfo is not trusted)', async () => {
    const other = await generateSigningKey('attacker IdP');
    await refused(validate(respond({ sign: 'assertion', signingKey: other })), 'saml_signature_invalid');
    await refused(validate(respond({ sign: 'response', signingKey: other })), 'saml_signature_invalid');
  });

  test('a signed assertion altered after signing is refused', async () => {
    const tampered = decode(respond({ sign: 'assertion' })).replaceAll('ada@example.com', EVIL_EMAIL);
    await refused(validate(encode(tampered)), 'saml_signature_invalid');
  });

  test('a comment injected into a signed NameID and email (c14n ignores comments) never truncates them', async () => {
    const signedFor = 'ada@example.com.evil.example';
    for (const sign of ['assertion', 'response'] as const) {
      const xml = decode(respond({ sign, user: { nameId: signedFor, email: signedFor } })).replaceAll(signedFor, 'ada@example.com<!---->.evil.example');
      const identity = await validate(encode(xml));
      assert.equal(identity.external_id, signedFor);
      assert.equal(identity.email, signedFor);
    }
  });

  const wrappings: [SignatureWrapping, SamlResponseOptions['sign']][] = [
    ['evil-sibling', 'assertion'],
    ['evil-sibling', 'response'],
    ['signed-in-extensions', 'assertion'],
    ['signed-in-extensions', 'both'],
    ['signature-moved-to-evil', 'assertion'],
    ['signed-response-in-extensions', 'response'],
    ['signed-response-in-extensions', 'assertion'],
  ];
  for (const [wrapping, sign] of wrappings) {
    test(`XML signature wrapping is refused and never yields the evil identity: ${wrapping} (${sign} signed)`, async () => {
      const response = respond({ sign, wrapping });
      const xml = decode(response);
      assert.ok(xml.includes(EVIL_EMAIL) && xml.includes('ada@example.com'), 'the message carries both identities');
      await refused(validate(response), 'saml_signature_invalid');
    });
  }
});

describe('conditions, subject confirmation and response attributes', () => {
  test('an assertion for another audience is refused', async () => {
    await refused(validate(respond({ audience: 'https://other-sp.example.test/metadata' })), 'saml_audience_mismatch');
  });

  test('a SubjectConfirmationData Recipient other than the ACS URL is refused', async () => {
    await refused(validate(respond({ recipient: 'https://other-sp.example.test/acs' })), 'saml_recipient_mismatch');
  });

  test('a Response Destination other than the ACS URL is refused', async () => {
    await refused(validate(respond({ destination: 'https://other-sp.example.test/acs' })), 'saml_destination_mismatch');
  });

  test('a missing Destination is refused on a signed response, accepted when only the assertion is signed', async () => {
    await refused(validate(respond({ sign: 'response', destination: null })), 'saml_destination_mismatch');
    assert.equal((await validate(respond({ sign: 'assertion', destination: null }))).email, 'ada@example.com');
  });

  test('NotBefore in the future beyond 60 s of clock skew is refused; within it accepted', async () => {
    await refused(validate(respond({ conditionsNotBefore: new Date(NOW.getTime() + 61_000) })), 'saml_assertion_not_yet_valid');
    await refused(validate(respond({ shiftSeconds: 600 })), 'saml_assertion_not_yet_valid');
    assert.ok(await validate(respond({ conditionsNotBefore: new Date(NOW.getTime() + 59_000) })));
  });

  test('Conditions NotOnOrAfter past beyond 60 s of clock skew is refused; within it accepted', async () => {
    await refused(validate(respond({ conditionsNotOnOrAfter: new Date(NOW.getTime() - 60_000) })), 'saml_assertion_expired');
    await refused(validate(respond({ shiftSeconds: -600 })), 'saml_assertion_expired');
    const identity = await validate(respond({ conditionsNotOnOrAfter: new Date(NOW.getTime() - 59_000) }));
    assert.equal(identity.expires_at.getTime(), NOW.getTime() + 1_000);
  });

  test('SubjectConfirmationData NotOnOrAfter past is refused even when the Conditions are still valid', async () => {
    await refused(validate(respond({ subjectNotOnOrAfter: new Date(NOW.getTime() - 61_000) })), 'saml_assertion_expired');
  });

  test('the same response validated later, once expired, is refused', async () => {
    const response = respond();
    assert.ok(await validate(response));
    await refused(validate(response, {}, REQUEST_ID, new Date(NOW.getTime() + 360_000)), 'saml_assertion_expired');
  });

  test('InResponseTo must be the request this flow started, in the Response and in the signed SubjectConfirmationData', async () => {
    await refused(validate(respond({ requestId: '_another-request' })), 'saml_in_response_to_mismatch');
    await refused(validate(respond({ inResponseTo: '_another-request' })), 'saml_in_response_to_mismatch');
    await refused(validate(respond({ subjectInResponseTo: '_another-request' })), 'saml_in_response_to_mismatch');
    // An IdP-initiated response (nothing expected) is refused too.
    await refused(validate(respond(), {}, ''), 'saml_in_response_to_mismatch');
  });

  test('an assertion from another IdP entity is refused even when signed with a trusted key', async () => {
    await refused(validate(respond({ issuer: 'https://other-idp.example.test' })), 'saml_issuer_mismatch');
  });

  test('a status other than Success is refused with the status named', async () => {
    await assert.rejects(validate(respond({ status: 'urn:oasis:names:tc:SAML:2.0:status:Requester' })), (error: unknown) => {
      assert.ok(isGatehouseError(error, 'saml_status_not_success'));
      assert.match(error.message, /Requester/);
      return true;
    });
  });

  test('an encrypted assertion is refused as unsupported', async () => {
    const xml = decode(respond()).replace(
      /<saml:Assertion[\s\S]*<\/saml:Assertion>/,
      '<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/></saml:EncryptedAssertion>',
    );
    await refused(validate(encode(xml)), 'saml_encrypted_assertion_not_supported');
  });

  test('malformed input is refused: not base64, not XML, not a Response, a DOCTYPE', async () => {
    await refused(validate('not base64 at all!'), 'saml_response_malformed');
    await refused(validate(encode('<samlp:Response')), 'saml_response_malformed');
    await refused(validate(encode('<AuthnRequest xmlns="urn:oasis:names:tc:SAML:2.0:protocol"/>')), 'saml_response_malformed');
    const withDoctype = `<!DOCTYPE r [<!ENTITY x "ada">]>${decode(respond())}`;
    await refused(validate(encode(withDoctype)), 'saml_response_malformed');
  });

  test('a connection without certificates or IdP entity id is not configured', async () => {
    await refused(validate(respond(), { verification_certificates: [] }), 'saml_connection_not_configured');
    await refused(validate(respond(), { idp_entity_id: '' }), 'saml_connection_not_configured');
  });
});

describe('identity from the assertion', () => {
  test('groups come from the mapped multi-valued attribute; missing attribute → []', async () => {
    const many = await validate(respond({ user: { ...ADA, groups: ['a', 'b', 'c', 'b'] } }));
    assert.deepEqual(many.groups, ['a', 'b', 'c']);
    const none = await validate(respond({ user: { ...ADA, groups: undefined } }));
    assert.deepEqual(none.groups, []);
    const unmapped = await validate(respond(), { attribute_mapping: { email: 'email' } });
    assert.deepEqual(unmapped.groups, []);
  });

  test('the email comes from the mapped attribute before the NameID', async () => {
    const identity = await validate(
      respond({ user: { nameId: '00u1a2b3c4', nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', email: 'grace@example.com' } }),
    );
    assert.equal(identity.external_id, '00u1a2b3c4');
    assert.equal(identity.email, 'grace@example.com');
  });

  test('without the email attribute the NameID is the email when it is one', async () => {
    const identity = await validate(respond({ user: { nameId: 'grace@example.com' } }));
    assert.equal(identity.email, 'grace@example.com');
    assert.equal(identity.name, '');
  });

  test('no email attribute and an opaque NameID: saml_email_missing', async () => {
    await refused(
      validate(respond({ user: { nameId: '00u1a2b3c4', nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' } })),
      'saml_email_missing',
    );
  });

  test('full_name is used when mapped, else first and last name', async () => {
    const identity = await validate(respond({ user: { ...ADA, attributes: { displayName: ['Countess of Lovelace'] } } }), {
      attribute_mapping: { ...TEST_IDP_ATTRIBUTE_MAPPING, full_name: 'displayName' },
    });
    assert.equal(identity.name, 'Countess of Lovelace');
  });
});

describe('login redirect and metadata', () => {
  test('the AuthnRequest goes to the IdP SSO URL with our entity id, ACS URL, NameID format and relay state; its ID is the request id', async () => {
    const { url, request_id } = await samlLoginRedirect(config, PUBLIC_URL, 'relay-state-123');
    assert.ok(url.startsWith(`${idp.ssoUrl}?`));
    const request = readAuthnRequest(url);
    assert.equal(request.id, request_id);
    assert.match(request_id, /^_[0-9a-f]{40}$/);
    assert.equal(request.acsUrl, SP.acs_url);
    assert.equal(request.issuer, SP.audience_uri);
    assert.equal(request.destination, idp.ssoUrl);
    assert.equal(request.nameIdFormat, config.nameid_format);
    assert.equal(request.relayState, 'relay-state-123');
    // And the IdP's answer to it validates.
    const identity = await validateSamlResponse(config, PUBLIC_URL, respond({ requestId: request.id }), request_id, NOW);
    assert.equal(identity.email, 'ada@example.com');
  });

  test('an IdP SSO URL with a query keeps it; a connection without an SSO URL is not configured', async () => {
    const { url } = await samlLoginRedirect({ ...config, idp_sso_url: 'https://idp.test.example/sso?tenant=acme' }, PUBLIC_URL, 'r');
    assert.equal(new URL(url).searchParams.get('tenant'), 'acme');
    assert.ok(new URL(url).searchParams.get('SAMLRequest'));
    await refused(samlLoginRedirect({ ...config, idp_sso_url: '' }, PUBLIC_URL, 'r'), 'saml_connection_not_configured');
  });

  test('SP metadata names the audience URI as entity id and the ACS URL for HTTP-POST', () => {
    assert.deepEqual(samlServiceProvider(CONNECTION_ID, `${PUBLIC_URL}/`), SP);
    assert.equal(SP.audience_uri, `${PUBLIC_URL}/v1/b2b/sso/saml/metadata/${CONNECTION_ID}`);
    assert.equal(SP.acs_url, `${PUBLIC_URL}/v1/b2b/sso/saml/acs/${CONNECTION_ID}`);
    const xml = serviceProviderMetadata(CONNECTION_ID, PUBLIC_URL, config.nameid_format);
    const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
    assert.ok(root);
    const md = 'urn:oasis:names:tc:SAML:2.0:metadata';
    assert.equal(root.namespaceURI, md);
    assert.equal(root.localName, 'EntityDescriptor');
    assert.equal(root.getAttribute('entityID'), SP.audience_uri);
    const acs = root.getElementsByTagNameNS(md, 'AssertionConsumerService')[0];
    assert.equal(acs?.getAttribute('Location'), SP.acs_url);
    assert.equal(acs?.getAttribute('Binding'), 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    assert.equal(root.getElementsByTagNameNS(md, 'NameIDFormat')[0]?.textContent, config.nameid_format);
  });

  test('parseIdpMetadata reads the entity id, the HTTP-Redirect SSO URL and the signing certificate', () => {
    const parsed = parseIdpMetadata(idp.metadata());
    assert.equal(parsed.idp_entity_id, idp.entityId);
    assert.equal(parsed.idp_sso_url, idp.ssoUrl);
    assert.equal(parsed.certificates.length, 1);
    assert.equal(new X509Certificate(parsed.certificates[0]!).fingerprint256, new X509Certificate(idp.certificate).fingerprint256);
  });

  test('parseIdpMetadata refuses what is not usable IdP metadata', () => {
    const refusedMetadata = (xml: string) =>
      assert.throws(() => parseIdpMetadata(xml), (error: unknown) => isGatehouseError(error, 'saml_metadata_invalid'));
    refusedMetadata('not xml <');
    refusedMetadata(serviceProviderMetadata(CONNECTION_ID, PUBLIC_URL, '')); // an SP, not an IdP
    refusedMetadata(idp.metadata().replace(/<md:KeyDescriptor[\s\S]*<\/md:KeyDescriptor>/, ''));
    refusedMetadata(idp.metadata().replace(/<ds:X509Certificate>[^<]*/, '<ds:X509Certificate>bm90IGEgY2VydA=='));
    refusedMetadata(idp.metadata().replace(/<md:SingleSignOnService Binding="[^"]*HTTP-Redirect"[^>]*>/, ''));
  });

  test('certificates are accepted as PEM or bare base64 and refused otherwise', () => {
    const body = idp.certificate.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
    assert.equal(normalizeCertificatePem(body), normalizeCertificatePem(idp.certificate));
    assert.throws(() => normalizeCertificatePem('hello'), (error: unknown) => isGatehouseError(error, 'saml_certificate_invalid'));
  });
});
