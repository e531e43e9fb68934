// A SAML 2.0 identity provider for tests: a generated key and self-signed certificate, Responses and
// Assertions built as XML and signed with xml-crypto (enveloped signature, exclusive c14n, RSA-SHA256),
// and knobs to break each thing a service provider must check — including XML signature wrapping.
import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { generate } from 'selfsigned';
import { SignedXml } from 'xml-crypto';

const NS_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const NS_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/** The attribute names this IdP sends; use as a connection's attribute_mapping. */
export const TEST_IDP_ATTRIBUTE_MAPPING = { email: 'email', first_name: 'firstName', last_name: 'lastName', groups: 'groups' };

export interface SigningKey {
  privateKey: string;
  certificate: string;
}

export interface SamlTestUser {
  nameId: string;
  /** Sent as the `email` attribute; omitted when undefined. */
  email?: string;
  firstName?: string;
  lastName?: string;
  /** Sent as the multi-valued `groups` attribute; omitted when undefined. */
  groups?: string[];
  /** Default emailAddress. */
  nameIdFormat?: string;
  /** More attributes, by Name. */
  attributes?: Record<string, string[]>;
}

export type SignatureWrapping =
  /** An unsigned evil assertion put next to (before) the signed one. */
  | 'evil-sibling'
  /** The signed assertion moved under <samlp:Extensions>; an unsigned evil assertion takes its place. */
  | 'signed-in-extensions'
  /** The signed assertion's Signature moved into an evil assertion, the genuine one kept under the evil one's Advice. */
  | 'signature-moved-to-evil'
  /** The whole signed Response moved under the <samlp:Extensions> of a new, unsigned Response carrying the evil assertion. */
  | 'signed-response-in-extensions';

export interface SamlResponseOptions {
  /** The SP's ACS URL: Destination and Recipient unless overridden. */
  acsUrl: string;
  audience: string;
  /** The AuthnRequest ID answered: InResponseTo of the Response and SubjectConfirmationData unless overridden. */
  requestId: string;
  user: SamlTestUser;
  /** What carries the signature. Default 'assertion'. */
  sign?: 'response' | 'assertion' | 'both' | 'none';
  /** Sign with another key than the IdP's (the certificate is still sent in KeyInfo). */
  signingKey?: SigningKey;
  /** The IdP's clock. Default the real time. */
  now?: Date;
  /** Shift every time in the message by this many seconds (negative: the past). */
  shiftSeconds?: number;
  /** Lifetime of the assertion (Conditions and SubjectConfirmationData NotOnOrAfter). Default 300 s. */
  lifetimeSeconds?: number;
  /** Exact times, after the shift. */
  conditionsNotBefore?: Date;
  conditionsNotOnOrAfter?: Date;
  subjectNotOnOrAfter?: Date;
  /** Overrides; `destination: null` leaves the attribute out. */
  audiences?: string[];
  recipient?: string;
  destination?: string | null;
  inResponseTo?: string;
  subjectInResponseTo?: string;
  issuer?: string;
  /** A non-Success top-level status: the Response then carries no assertion. */
  status?: string;
  wrapping?: SignatureWrapping;
  /** Who the wrapping's evil assertion names. */
  evilUser?: SamlTestUser;
  assertionId?: string;
}

export interface SamlTestIdp {
  entityId: string;
  ssoUrl: string;
  /** The signing certificate, PEM. */
  certificate: string;
  privateKey: string;
  /** IdP metadata XML (entity id, Redirect and POST SSO service, signing certificate). */
  metadata(): string;
  /** A base64 SAMLResponse as the IdP would POST it to the ACS. */
  response(options: SamlResponseOptions): string;
}

export async function generateSigningKey(commonName = 'Gatehouse test IdP'): Promise<SigningKey> {
  const pems = await generate([{ name: 'commonName', value: commonName }], { keySize: 2048, algorithm: 'sha256' });
  return { privateKey: pems.private, certificate: pems.cert };
}

export async function createSamlIdp(options: { entityId?: string; ssoUrl?: string; key?: SigningKey } = {}): Promise<SamlTestIdp> {
  const key = options.key ?? (await generateSigningKey());
  const entityId = options.entityId ?? 'https://idp.test.example/saml/metadata';
  const ssoUrl = options.ssoUrl ?? 'https://idp.test.example/saml/sso';
  return {
    entityId,
    ssoUrl,
    certificate: key.certificate,
    privateKey: key.privateKey,
    metadata: () => idpMetadata(entityId, ssoUrl, key.certificate),
    response: (responseOptions) => buildResponse(entityId, key, responseOptions),
  };
}

/** Reads the AuthnRequest of an HTTP-Redirect binding URL (what the SP sent the browser to). */
export function readAuthnRequest(url: string): { id: string; acsUrl: string; issuer: string; destination: string; nameIdFormat: string; relayState: string | null } {
  const params = new URL(url).searchParams;
  const encoded = params.get('SAMLRequest');
  if (!encoded) throw new Error('no SAMLRequest in the URL');
  const document = new DOMParser().parseFromString(inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8'), 'text/xml');
  const request = document.documentElement;
  if (!request || request.namespaceURI !== NS_PROTOCOL || request.localName !== 'AuthnRequest') throw new Error('not an AuthnRequest');
  const first = (namespace: string, name: string) => request.getElementsByTagNameNS(namespace, name)[0];
  return {
    id: request.getAttribute('ID') ?? '',
    acsUrl: request.getAttribute('AssertionConsumerServiceURL') ?? '',
    issuer: first(NS_ASSERTION, 'Issuer')?.textContent ?? '',
    destination: request.getAttribute('Destination') ?? '',
    nameIdFormat: first(NS_PROTOCOL, 'NameIDPolicy')?.getAttribute('Format') ?? '',
    relayState: params.get('RelayState'),
  };
}

function idpMetadata(entityId: string, ssoUrl: string, certificate: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${escape(entityId)}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${pemBody(certificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>${NAMEID_EMAIL}</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${escape(ssoUrl)}"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${escape(ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

function buildResponse(entityId: string, idpKey: SigningKey, options: SamlResponseOptions): string {
  const key = options.signingKey ?? idpKey;
  const sign = options.sign ?? 'assertion';
  const base = (options.now ?? new Date()).getTime() + (options.shiftSeconds ?? 0) * 1000;
  const lifetime = (options.lifetimeSeconds ?? 300) * 1000;
  const issuer = options.issuer ?? entityId;
  const assertionFor = (user: SamlTestUser, id: string) =>
    assertionXml({
      id,
      issuer,
      issueInstant: new Date(base),
      user,
      recipient: options.recipient ?? options.acsUrl,
      inResponseTo: options.subjectInResponseTo ?? options.requestId,
      audiences: options.audiences ?? [options.audience],
      notBefore: options.conditionsNotBefore ?? new Date(base - 5_000),
      notOnOrAfter: options.conditionsNotOnOrAfter ?? new Date(base + lifetime),
      subjectNotOnOrAfter: options.subjectNotOnOrAfter ?? new Date(base + lifetime),
    });
  const responseFor = (id: string, content: string, status = STATUS_SUCCESS) => {
    const destination = options.destination === undefined ? options.acsUrl : options.destination;
    return (
      `<samlp:Response xmlns:samlp="${NS_PROTOCOL}" xmlns:saml="${NS_ASSERTION}" ID="${id}" Version="2.0" ` +
      `IssueInstant="${instant(new Date(base))}"${destination === null ? '' : ` Destination="${escape(destination)}"`} ` +
      `InResponseTo="${escape(options.inResponseTo ?? options.requestId)}">` +
      `<saml:Issuer>${escape(issuer)}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="${escape(status)}"/></samlp:Status>` +
      content +
      `</samlp:Response>`
    );
  };

  const responseId = newId();
  if (options.status !== undefined && options.status !== STATUS_SUCCESS) {
    const refusal = responseFor(responseId, '', options.status);
    return base64(sign === 'response' || sign === 'both' ? signElement(refusal, responseId, key) : refusal);
  }

  const assertionId = options.assertionId ?? newId();
  let assertion = assertionFor(options.user, assertionId);
  if (sign === 'assertion' || sign === 'both') assertion = signElement(assertion, assertionId, key);

  let response = responseFor(responseId, assertion);
  if (sign === 'response' || sign === 'both') response = signElement(response, responseId, key);

  // The attacks: a signed message as the IdP made it, rearranged afterwards.
  const evilUser = options.evilUser ?? { nameId: 'attacker@evil.example', email: 'attacker@evil.example', groups: ['admins'] };
  const evil = () => assertionFor(evilUser, newId());
  switch (options.wrapping) {
    case 'evil-sibling':
      response = response.replace(assertion, evil() + assertion);
      break;
    case 'signed-in-extensions':
      response = response
        .replace(assertion, evil())
        .replace('</saml:Issuer>', `</saml:Issuer><samlp:Extensions>${assertion}</samlp:Extensions>`);
      break;
    case 'signature-moved-to-evil':
      response = response.replace(assertion, moveSignatureToEvil(assertion, evil()));
      break;
    case 'signed-response-in-extensions':
      response = responseFor(newId(), evil()).replace(
        '</saml:Issuer>',
        `</saml:Issuer><samlp:Extensions>${stripDeclaration(response)}</samlp:Extensions>`,
      );
      break;
    default:
      break;
  }
  return base64(response);
}

function assertionXml(a: {
  id: string;
  issuer: string;
  issueInstant: Date;
  user: SamlTestUser;
  recipient: string;
  inResponseTo: string;
  audiences: string[];
  notBefore: Date;
  notOnOrAfter: Date;
  subjectNotOnOrAfter: Date;
}): string {
  const attributes: Record<string, string[]> = { ...a.user.attributes };
  if (a.user.email !== undefined) attributes.email = [a.user.email];
  if (a.user.firstName !== undefined) attributes.firstName = [a.user.firstName];
  if (a.user.lastName !== undefined) attributes.lastName = [a.user.lastName];
  if (a.user.groups !== undefined) attributes.groups = a.user.groups;
  const attributeXml = Object.entries(attributes)
    .map(
      ([name, values]) =>
        `<saml:Attribute Name="${escape(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">` +
        values.map((value) => `<saml:AttributeValue>${escape(value)}</saml:AttributeValue>`).join('') +
        `</saml:Attribute>`,
    )
    .join('');
  return (
    `<saml:Assertion xmlns:saml="${NS_ASSERTION}" ID="${a.id}" Version="2.0" IssueInstant="${instant(a.issueInstant)}">` +
    `<saml:Issuer>${escape(a.issuer)}</saml:Issuer>` +
    `<saml:Subject>` +
    `<saml:NameID Format="${escape(a.user.nameIdFormat ?? NAMEID_EMAIL)}">${escape(a.user.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<saml:SubjectConfirmationData InResponseTo="${escape(a.inResponseTo)}" NotOnOrAfter="${instant(a.subjectNotOnOrAfter)}" Recipient="${escape(a.recipient)}"/>` +
    `</saml:SubjectConfirmation>` +
    `</saml:Subject>` +
    `<saml:Conditions NotBefore="${instant(a.notBefore)}" NotOnOrAfter="${instant(a.notOnOrAfter)}">` +
    `<saml:AudienceRestriction>${a.audiences.map((audience) => `<saml:Audience>${escape(audience)}</saml:Audience>`).join('')}</saml:AudienceRestriction>` +
    `</saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${instant(a.issueInstant)}" SessionIndex="${newId()}">` +
    `<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>` +
    `</saml:AuthnStatement>` +
    (attributeXml ? `<saml:AttributeStatement>${attributeXml}</saml:AttributeStatement>` : '') +
    `</saml:Assertion>`
  );
}

/** Enveloped signature over the element with this ID, placed right after its Issuer. */
function signElement(xml: string, id: string, key: SigningKey): string {
  const signature = new SignedXml({
    privateKey: key.privateKey,
    publicCert: key.certificate,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  signature.addReference({
    xpath: `//*[@ID='${id}']`,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  signature.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `//*[@ID='${id}']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return signature.getSignedXml();
}

/** Moves the ds:Signature of a signed assertion into the evil assertion, and the genuine assertion under its Advice. */
function moveSignatureToEvil(signedAssertion: string, evilAssertion: string): string {
  const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signedAssertion)?.[0];
  if (!signature) throw new Error('the assertion is not signed');
  const genuine = signedAssertion.replace(signature, '');
  return evilAssertion
    .replace('</saml:Issuer>', `</saml:Issuer>${signature}`)
    .replace('<saml:AuthnStatement', `<saml:Advice>${genuine}</saml:Advice><saml:AuthnStatement`);
}

function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

function stripDeclaration(xml: string): string {
  return xml.replace(/^<\?xml[^>]*\?>\s*/, '');
}

function newId(): string {
  return `_${randomBytes(16).toString('hex')}`;
}

function instant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function escape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function base64(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}
