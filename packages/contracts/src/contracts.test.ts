import assert from 'node:assert/strict';
import { test } from 'node:test';
import { environmentOfProject, ERROR_ENVELOPE_KEYS, ErrorEnvelopeError, isErrorEnvelope, ORGANIZATION_CLAIM, SESSION_CLAIM, STYTCH_CLAIM_PREFIX } from './index.ts';

test('a project id names its environment: live only for project-live-…', () => {
  assert.equal(environmentOfProject('project-live-11111111-2222-4333-8444-555555555555'), 'live');
  assert.equal(environmentOfProject('project-test-11111111-2222-4333-8444-555555555555'), 'test');
  // Anything else is a test project: live must be named, never guessed.
  assert.equal(environmentOfProject('project-livestock-1'), 'test');
  assert.equal(environmentOfProject('PROJECT-LIVE-1'), 'test');
  assert.equal(environmentOfProject(''), 'test');
});

test("the session JWT's claims are Stytch's, under its reserved prefix", () => {
  assert.equal(SESSION_CLAIM, 'https://stytch.com/session');
  assert.equal(ORGANIZATION_CLAIM, 'https://stytch.com/organization');
  for (const claim of [SESSION_CLAIM, ORGANIZATION_CLAIM]) assert.ok(claim.startsWith(STYTCH_CLAIM_PREFIX));
});

test('an error envelope is recognised by its error_type and carried whole by the SDK error', () => {
  assert.deepEqual([...ERROR_ENVELOPE_KEYS], ['status_code', 'request_id', 'error_type', 'error_message', 'error_url']);
  const body = { status_code: 403, request_id: 'request-id-test-1', error_type: 'unauthorized_action', error_message: 'No.', error_url: 'https://x/docs/errors#unauthorized_action', error_details: { issues: [] } };
  assert.ok(isErrorEnvelope(body));
  for (const notOne of [null, undefined, 'unauthorized_action', 403, {}, { error_type: 7 }, []]) assert.equal(isErrorEnvelope(notOne), false);

  const error = new ErrorEnvelopeError(body);
  assert.ok(error instanceof Error);
  assert.equal(error.message, 'unauthorized_action: No.');
  assert.deepEqual(
    { status_code: error.status_code, request_id: error.request_id, error_type: error.error_type, error_message: error.error_message, error_url: error.error_url, error_details: error.error_details },
    body,
  );
  const bare = new ErrorEnvelopeError({ status_code: 0, error_type: 'network', error_message: 'unreachable' });
  assert.equal(bare.request_id, undefined);
  assert.equal(bare.error_url, undefined);
});
