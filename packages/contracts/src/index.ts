// @gatehouse/contracts: what the server, the SDKs and the dashboard agree on, written once.
export { environmentOfProject, type Environment } from './environment.ts';
export { ORGANIZATION_CLAIM, SESSION_CLAIM, STYTCH_CLAIM_PREFIX } from './claims.ts';
export { ERROR_ENVELOPE_KEYS, ErrorEnvelopeError, isErrorEnvelope, type ErrorEnvelope, type ErrorEnvelopeInit } from './errors.ts';
