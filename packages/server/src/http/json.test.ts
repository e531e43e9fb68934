import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compactJwsJson, immutableWire, serializeWithImmutableWires } from './json.ts';

test('the serializer gives exactly what JSON.stringify gives, also from kept texts', () => {
  const wire = immutableWire({ user_id: 'user-test-1', name: { first_name: 'Ada "the" \u2028 first' }, roles: ['a', 'b'], lock: null });
  const payloads: Record<string, unknown>[] = [
    {},
    { request_id: 'request-id-test-1', status_code: 200, user: wire, skipped: undefined, fn: () => 1, when: new Date(0) },
    { nested: { user: wire }, list: [wire, 1, 'two'], n: NaN, text: 'line\nbreak', unicode: '\ud800' },
  ];
  for (const payload of payloads) {
    assert.equal(serializeWithImmutableWires(payload), JSON.stringify(payload));
    assert.equal(serializeWithImmutableWires(payload), JSON.stringify(payload), 'the second time, from the kept text');
  }
});

test('a compact JWS is spliced in as a JSON string', () => {
  const jws = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLXRlc3QtMSJ9.c2lnbmF0dXJlLV8';
  assert.equal(serializeWithImmutableWires({ session_jwt: compactJwsJson(jws) }), JSON.stringify({ session_jwt: jws }));
  assert.equal(serializeWithImmutableWires({ session_jwt: compactJwsJson('') }), JSON.stringify({ session_jwt: '' }));
});
