// The SAML 2.0 service-provider protocol layer, free of the database: the AuthnRequest redirect, the
// validation of a SAMLResponse posted to the ACS, SP metadata and reading IdP metadata.
//
// Signatures are verified by @node-saml/node-saml (on top of xml-crypto), which also refuses the known
// XML signature wrapping shapes (several assertions, a reference to another element than the signature's
// parent, duplicate IDs). Everything after that is read from the XML node-saml returns as verified — never
// from the raw document — except the Response's own Status, Destination and InResponseTo attributes, which
// are covered by the signature only when the IdP signs the whole response.
//
// Time: node-saml only knows the real clock, so its own time checks are switched off
// (acceptedClockSkewMs = -1) and every NotBefore / NotOnOrAfter is checked here against the `now` given.
// InResponseTo: node-saml's cache-provider check is switched off too and done here against the request id
// the caller kept. Assertion replay is the caller's business (keep assertion_id until expires_at).
import { randomBytes, X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { SAML, generateServiceProviderMetadata, type SamlConfig } from '@node-saml/node-saml';
import { GatehouseError } from '../shared/errors.ts';

export const NAMEID_FORMAT_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
/** How far the IdP's clock may be from ours, both ways. */
export const SAML_CLOCK_SKEW_MS = 60_000;

const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;
const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export interface SamlConnectionConfig {
  connection_id: string;
  idp_entity_id: string;
  idp_sso_url: string;
  verification_certificates: { certificate_id: string; certificate: string }[];
  /** Keys email, first_name, last_name, full_name, groups → attribute Names in the assertion. */
  attribute_mapping: Record<string, string>;
  nameid_format: string;
  /** '' when unset. */
  alternative_audience_uri: string;
}

export interface SamlIdentity {
  /** The NameID. */
  external_id: string;
  email: string;
  name: string;
  groups: string[];
  /** Every attribute of the assertion by Name, values as text. */
  attributes: Record<string, string[]>;
  assertion_id: string;
  /** The assertion's earliest NotOnOrAfter plus the clock skew: until then the assertion would be accepted again. */
  expires_at: Date;
}

// ---------------------------------------------------------------------------------------------------
// Service provider

export function samlServiceProvider(connectionId: string, publicUrl: string): { audience_uri: string; acs_url: string } {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    audience_uri: `${base}/v1/b2b/sso/saml/metadata/${connectionId}`,
    acs_url: `${base}/v1/b2b/sso/saml/acs/${connectionId}`,
  };
}

export function serviceProviderMetadata(connectionId: string, publicUrl: string, nameidFormat: string): string {
  const sp = samlServiceProvider(connectionId, publicUrl);
  return generateServiceProviderMetadata({
    issuer: sp.audience_uri,
    callbackUrl: sp.acs_url,
    identifierFormat: nameidFormat || NAMEID_FORMAT_EMAIL,
    wantAssertionsSigned: true,
  });
}

/** An HTTP-Redirect binding AuthnRequest (unsigned, no RequestedAuthnContext so IdP MFA is not refused). */
export async function samlLoginRedirect(
  config: SamlConnectionConfig,
  publicUrl: string,
  relayState: string,
): Promise<{ url: string; request_id: string }> {
  const requestId = `_${randomBytes(20).toString('hex')}`;
  const saml = new SAML({
    ...nodeSamlOptions(config, publicUrl),
    entryPoint: config.idp_sso_url,
    identifierFormat: config.nameid_format || NAMEID_FORMAT_EMAIL,
    disableRequestedAuthnContext: true,
    generateUniqueId: () => requestId,
  });
  const url = await saml.getAuthorizeUrlAsync(relayState, undefined, {});
  return { url, request_id: requestId };
}

function nodeSamlOptions(config: SamlConnectionConfig, publicUrl: string): SamlConfig {
  if (!config.idp_entity_id || !config.idp_sso_url || !URL.canParse(config.idp_sso_url)) {
    throw new GatehouseError('saml_connection_not_configured');
  }
  const certificates: string[] = [];
  for (const { certificate } of config.verification_certificates) {
    try {
      certificates.push(normalizeCertificatePem(certificate));
    } catch {
      // A certificate that does not parse verifies nothing; the others may still do.
    }
  }
  if (certificates.length === 0) throw new GatehouseError('saml_connection_not_configured');
  const sp = samlServiceProvider(config.connection_id, publicUrl);
  return {
    idpCert: certificates,
    issuer: sp.audience_uri,
    callbackUrl: sp.acs_url,
    audience: false, // checked here: node-saml knows one audience, a connection may have two
    acceptedClockSkewMs: -1, // checked here against the injected `now`
    validateInResponseTo: 'never' as SamlConfig['validateInResponseTo'], // checked here against the kept request id
    wantAssertionsSigned: false, // a signed response covers its assertion; node-saml still demands one signature
    wantAuthnResponseSigned: false,
  };
}

// ---------------------------------------------------------------------------------------------------
// The ACS: validating a SAMLResponse

export async function validateSamlResponse(
  config: SamlConnectionConfig,
  publicUrl: string,
  samlResponse: string,
  expectedRequestId: string,
  now: Date,
): Promise<SamlIdentity> {
  const options = nodeSamlOptions(config, publicUrl);
  const sp = samlServiceProvider(config.connection_id, publicUrl);

  const compact = samlResponse.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw malformed('The SAMLResponse is not base64.');
  const response = parseXml(Buffer.from(compact, 'base64').toString('utf8'));
  if (!response || !isElement(response, NS.protocol, 'Response')) throw malformed('The SAMLResponse is not a SAML 2.0 Response.');

  // Status first: IdPs often do not sign their refusals, and those deserve their own answer.
  const statusCodes = statusCodeValues(response);
  if (statusCodes[0] !== STATUS_SUCCESS) {
    throw new GatehouseError('saml_status_not_success', {
      params: { status: statusCodes.map(shortUrn).join(' / ') || 'missing' },
      details: { status_codes: statusCodes },
    });
  }
  if (children(response, NS.assertion, 'EncryptedAssertion').length > 0) {
    throw new GatehouseError('saml_encrypted_assertion_not_supported');
  }
  if (response.getElementsByTagNameNS(NS.dsig, 'Signature').length === 0) throw new GatehouseError('saml_response_unsigned');

  let verifiedAssertionXml: string | undefined;
  try {
    const { profile } = await new SAML(options).validatePostResponseAsync({ SAMLResponse: compact });
    verifiedAssertionXml = profile?.getAssertionXml?.();
  } catch (error) {
    throw nodeSamlRefusal(error);
  }
  const assertion = verifiedAssertionXml === undefined ? undefined : parseXml(verifiedAssertionXml);
  if (!assertion || !isElement(assertion, NS.assertion, 'Assertion')) throw malformed('The SAMLResponse holds no assertion.');

  // Who issued it
  const responseIssuer = child(response, NS.assertion, 'Issuer');
  if (text(child(assertion, NS.assertion, 'Issuer')) !== config.idp_entity_id || (responseIssuer && text(responseIssuer) !== config.idp_entity_id)) {
    throw new GatehouseError('saml_issuer_mismatch');
  }

  // Where it was sent, and in answer to what. A signed response must name its Destination (SAML bindings 3.5.5.2).
  const destination = response.getAttribute('Destination');
  if (destination ? destination !== sp.acs_url : children(response, NS.dsig, 'Signature').length > 0) {
    throw new GatehouseError('saml_destination_mismatch');
  }
  if (!expectedRequestId || response.getAttribute('InResponseTo') !== expectedRequestId) {
    throw new GatehouseError('saml_in_response_to_mismatch');
  }

  // Conditions: validity window and audience
  const conditionsList = children(assertion, NS.assertion, 'Conditions');
  if (conditionsList.length > 1) throw malformed('The assertion has more than one Conditions element.');
  const conditions = conditionsList[0];
  const notOnOrAfter: number[] = [];
  if (conditions) notOnOrAfter.push(...checkWindow(conditions, now));
  const audiences = new Set([sp.audience_uri, config.alternative_audience_uri].filter((audience) => audience !== ''));
  const restrictions = conditions ? children(conditions, NS.assertion, 'AudienceRestriction') : [];
  if (
    restrictions.length === 0 ||
    !restrictions.every((restriction) => children(restriction, NS.assertion, 'Audience').some((audience) => audiences.has(text(audience))))
  ) {
    throw new GatehouseError('saml_audience_mismatch');
  }

  // Subject: NameID and a bearer confirmation for our ACS, this request and now
  const subject = child(assertion, NS.assertion, 'Subject');
  const nameId = subject ? child(subject, NS.assertion, 'NameID') : undefined;
  const externalId = text(nameId);
  if (!subject || !nameId || externalId === '') throw malformed('The assertion has no Subject NameID.');
  const bearers = children(subject, NS.assertion, 'SubjectConfirmation').filter((confirmation) => confirmation.getAttribute('Method') === CM_BEARER);
  if (bearers.length === 0) throw malformed('The assertion has no bearer SubjectConfirmation.');
  let confirmationExpiry: number[] | undefined;
  let firstRefusal: unknown;
  for (const bearer of bearers) {
    try {
      confirmationExpiry = checkBearerConfirmation(bearer, sp.acs_url, expectedRequestId, now);
      break;
    } catch (error) {
      firstRefusal ??= error;
    }
  }
  if (!confirmationExpiry) throw firstRefusal;
  notOnOrAfter.push(...confirmationExpiry);

  const assertionId = assertion.getAttribute('ID');
  if (!assertionId) throw malformed('The assertion has no ID.');

  // Who it is
  const attributes = assertionAttributes(assertion);
  const mapped = (key: string): string[] => {
    const name = config.attribute_mapping[key];
    return name ? (attributes[name] ?? []).filter((value) => value !== '') : [];
  };
  const email = mapped('email')[0] ?? (isEmailNameId(nameId, externalId) ? externalId : undefined);
  if (!email) throw new GatehouseError('saml_email_missing');
  const name = mapped('full_name')[0] ?? [mapped('first_name')[0], mapped('last_name')[0]].filter(Boolean).join(' ');

  return {
    external_id: externalId,
    email,
    name,
    groups: [...new Set(mapped('groups'))],
    attributes,
    assertion_id: assertionId,
    expires_at: new Date(Math.min(...notOnOrAfter) + SAML_CLOCK_SKEW_MS),
  };
}

/** NotBefore / NotOnOrAfter of an element against `now`; returns NotOnOrAfter (if any) as ms. */
function checkWindow(element: Element, now: Date): number[] {
  const notBefore = timeAttribute(element, 'NotBefore');
  const notOnOrAfter = timeAttribute(element, 'NotOnOrAfter');
  if (notBefore !== undefined && now.getTime() + SAML_CLOCK_SKEW_MS < notBefore) throw new GatehouseError('saml_assertion_not_yet_valid');
  if (notOnOrAfter !== undefined && now.getTime() - SAML_CLOCK_SKEW_MS >= notOnOrAfter) throw new GatehouseError('saml_assertion_expired');
  return notOnOrAfter === undefined ? [] : [notOnOrAfter];
}

function checkBearerConfirmation(bearer: Element, acsUrl: string, expectedRequestId: string, now: Date): number[] {
  const data = child(bearer, NS.assertion, 'SubjectConfirmationData');
  if (!data) throw malformed('The bearer SubjectConfirmation has no SubjectConfirmationData.');
  if (data.getAttribute('Recipient') !== acsUrl) throw new GatehouseError('saml_recipient_mismatch');
  if (data.getAttribute('InResponseTo') !== expectedRequestId) throw new GatehouseError('saml_in_response_to_mismatch');
  const expiry = checkWindow(data, now);
  if (expiry.length === 0) throw malformed('The bearer SubjectConfirmationData has no NotOnOrAfter.');
  return expiry;
}

function timeAttribute(element: Element, name: string): number | undefined {
  const value = element.getAttribute(name);
  if (!value) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw malformed(`${name} is not a date.`);
  return ms;
}

function statusCodeValues(response: Element): string[] {
  const values: string[] = [];
  let parent: Element | undefined = child(response, NS.protocol, 'Status');
  for (let code = parent && child(parent, NS.protocol, 'StatusCode'); code; code = child(parent, NS.protocol, 'StatusCode')) {
    values.push(code.getAttribute('Value') ?? '');
    parent = code;
  }
  return values;
}

function assertionAttributes(assertion: Element): Record<string, string[]> {
  const attributes: Record<string, string[]> = {};
  for (const statement of children(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attribute of children(statement, NS.assertion, 'Attribute')) {
      const name = attribute.getAttribute('Name');
      if (!name) continue;
      (attributes[name] ??= []).push(...children(attribute, NS.assertion, 'AttributeValue').map(text));
    }
  }
  return attributes;
}

function isEmailNameId(nameId: Element, value: string): boolean {
  const format = nameId.getAttribute('Format');
  const emailShaped = /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
  return emailShaped && (!format || format === NAMEID_FORMAT_EMAIL || format === 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified');
}

/** node-saml speaks in Error messages; turn them into our types without repeating its words. */
function nodeSamlRefusal(error: unknown): GatehouseError {
  const message = error instanceof Error ? error.message : '';
  if (/^Error parsing |multiple conditions|Missing SAML assertion|Not a valid XML|not in PEM format/i.test(message)) {
    return malformed('The SAMLResponse could not be read as a signed SAML 2.0 Response.', error);
  }
  return new GatehouseError('saml_signature_invalid', { cause: error });
}

function malformed(message: string, cause?: unknown): GatehouseError {
  return new GatehouseError('saml_response_malformed', { params: { problem: message }, cause });
}

function shortUrn(urn: string): string {
  return urn.slice(urn.lastIndexOf(':') + 1) || urn;
}

// ---------------------------------------------------------------------------------------------------
// IdP metadata and certificates

/** A certificate in PEM or bare base64 DER, as PEM; throws saml_certificate_invalid. */
export function normalizeCertificatePem(certificate: string): string {
  const body = certificate
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new GatehouseError('saml_certificate_invalid');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  try {
    new X509Certificate(pem);
  } catch (error) {
    throw new GatehouseError('saml_certificate_invalid', { cause: error });
  }
  return pem;
}

export function parseIdpMetadata(xml: string): { idp_entity_id: string; idp_sso_url: string; certificates: string[] } {
  const invalid = (message: string, cause?: unknown) =>
    new GatehouseError('saml_metadata_invalid', { params: { problem: message }, cause });
  const root = parseXml(xml);
  if (!root) throw invalid('it is not XML.');
  const entities = isElement(root, NS.metadata, 'EntityDescriptor')
    ? [root]
    : isElement(root, NS.metadata, 'EntitiesDescriptor')
      ? Array.from(root.getElementsByTagNameNS(NS.metadata, 'EntityDescriptor'))
      : [];
  const entity = entities.find((candidate) => child(candidate, NS.metadata, 'IDPSSODescriptor'));
  const idp = entity && child(entity, NS.metadata, 'IDPSSODescriptor');
  if (!entity || !idp) throw invalid('it describes no SAML 2.0 identity provider (EntityDescriptor with an IDPSSODescriptor).');
  const entityId = entity.getAttribute('entityID') ?? '';
  if (entityId === '') throw invalid('the EntityDescriptor has no entityID.');
  const sso = children(idp, NS.metadata, 'SingleSignOnService').find((service) => service.getAttribute('Binding') === BINDING_REDIRECT);
  const ssoUrl = sso?.getAttribute('Location') ?? '';
  if (!URL.canParse(ssoUrl)) throw invalid('it has no HTTP-Redirect SingleSignOnService with a URL.');
  const certificates = new Set<string>();
  for (const key of children(idp, NS.metadata, 'KeyDescriptor')) {
    const use = key.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const certificate of Array.from(key.getElementsByTagNameNS(NS.dsig, 'X509Certificate'))) {
      try {
        certificates.add(normalizeCertificatePem(text(certificate)));
      } catch (error) {
        throw invalid('a signing X509Certificate does not parse.', error);
      }
    }
  }
  if (certificates.size === 0) throw invalid('it names no signing certificate.');
  return { idp_entity_id: entityId, idp_sso_url: ssoUrl, certificates: [...certificates] };
}

// ---------------------------------------------------------------------------------------------------
// XML helpers (namespace-aware; no DTDs)

function parseXml(xml: string): Element | undefined {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return undefined;
  let failed = false;
  const document = new DOMParser({
    locator: {},
    errorHandler: { warning: () => {}, error: () => { failed = true; }, fatalError: () => { failed = true; } },
  }).parseFromString(xml, 'text/xml');
  return failed || !document?.documentElement ? undefined : document.documentElement;
}

function isElement(element: Element, namespace: string, localName: string): boolean {
  return element.namespaceURI === namespace && element.localName === localName;
}

function children(element: Element, namespace: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && isElement(node as Element, namespace, localName)) found.push(node as Element);
  }
  return found;
}

function child(element: Element, namespace: string, localName: string): Element | undefined {
  return children(element, namespace, localName)[0];
}

function text(element: Element | undefined): string {
  return (element?.textContent ?? '').trim();
}
