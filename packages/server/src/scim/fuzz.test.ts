// The SCIM service fed generated input with a valid token: filters (grammar pieces and garbage),
// PATCH operations (ops in any case, paths with filters, URNs, prototype names, values of any type),
// PUT and POST bodies of any shape. Never a 5xx; every error SCIM's shape; nothing reaches
// Object.prototype. fast-check with a fixed seed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { ScimWorld } from '../testing/scim.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer({ env: { GATEHOUSE_RATE_LIMIT_IP: '0' } });
});
after(() => server.close());

const SEED = 20_261_208;
const RUNS = Number(process.env.GATEHOUSE_SCIM_FUZZ_RUNS ?? 400);

const attribute = fc.constantFrom('userName', 'externalId', 'id', 'active', 'emails', 'emails.value', 'name.givenName', 'displayName', 'members', 'meta.created',
  '__proto__', 'constructor.prototype', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', 'x'.repeat(300), '');
const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('"a"', 'true', 'False', 'null', '1', '"\\u00e9"', '"unterminated', '"x\\"y"'));
const comparison = fc.tuple(attribute, fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'EQ', 'xx'), value)
  .map(([a, op, v]) => (op === 'pr' ? `${a} pr` : `${a} ${op} ${typeof v === 'string' ? v : JSON.stringify(v)}`));
const filter: fc.Arbitrary<string> = fc.letrec<{ f: string }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    fc.tuple(tie('f'), fc.constantFrom('and', 'or', 'AND'), tie('f')).map(([l, o, r]) => `${l} ${o} ${r}`),
    tie('f').map((f) => `(${f})`),
    tie('f').map((f) => `not (${f})`),
    fc.tuple(attribute, tie('f'), fc.option(fc.tuple(attribute, comparison))).map(([a, f, s]) => `${a}[${f}]${s ? `.${s[0]} eq "x"` : ''}`),
    fc.string({ maxLength: 30 }),
  ),
})).f;
const path = fc.oneof(attribute, fc.tuple(attribute, filter, fc.option(attribute)).map(([a, f, s]) => `${a}[${f}]${s ? `.${s}` : ''}`), fc.string({ maxLength: 20 }));
const operation = fc.record({
  op: fc.constantFrom('add', 'replace', 'remove', 'Add', 'Replace', 'Remove', 'copy', ''),
  path: fc.option(path, { nil: undefined }),
  value: fc.option(fc.oneof(value, fc.dictionary(attribute, value, { maxKeys: 3 }), fc.array(fc.record({ value: fc.oneof(fc.string(), fc.constant('member-test-00000000-0000-4000-8000-000000000000')) }), { maxLength: 3 })), { nil: undefined }),
}, { requiredKeys: ['op'] });
const body = fc.oneof(
  fc.dictionary(fc.oneof(attribute, fc.string({ maxLength: 8 })), value, { maxKeys: 6 }),
  fc.record({ userName: fc.oneof(fc.emailAddress(), fc.string()), emails: fc.array(fc.record({ value: fc.oneof(fc.emailAddress(), fc.string()), primary: fc.oneof(fc.boolean(), fc.string()), type: fc.string() }), { maxLength: 2 }), active: fc.oneof(fc.boolean(), fc.constantFrom('True', 'False', 'maybe')) }),
  fc.record({ displayName: fc.oneof(fc.string(), fc.integer()), members: fc.oneof(fc.array(fc.record({ value: fc.string() }), { maxLength: 2 }), fc.string()) }),
);

test(`${RUNS} generated SCIM requests: no 5xx, every error in SCIM's shape, no prototype reached`, async () => {
  const world = await ScimWorld.create(server, 'okta');
  const user = (await world.idp.request('POST', '/Users', { userName: 'fuzz@example.com', emails: [{ primary: true, value: 'fuzz@example.com' }] })).body;
  const group = (await world.idp.request('POST', '/Groups', { displayName: 'Fuzzers', members: [{ value: user.id }] })).body;
  const request = fc.oneof(
    fc.tuple(fc.constantFrom('/Users', '/Groups'), filter, fc.option(fc.integer({ min: -5, max: 5000 }))).map(([p, f, n]) => ({ method: 'GET', path: `${p}?filter=${encodeURIComponent(f)}${n === null ? '' : `&startIndex=${n}&count=${n}`}`, body: undefined as unknown })),
    fc.tuple(fc.constantFrom(`/Users/${user.id}`, `/Groups/${group.id}`), fc.array(operation, { maxLength: 4 })).map(([p, ops]) => ({ method: 'PATCH', path: p, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: ops } as unknown })),
    fc.tuple(fc.constantFrom('/Users', '/Groups', `/Users/${user.id}`, `/Groups/${group.id}`), body).map(([p, b]) => ({ method: p.split('/').length > 2 ? 'PUT' : 'POST', path: p, body: b as unknown })),
  );
  const faults: string[] = [];
  for (const generated of fc.sample(request, { seed: SEED, numRuns: RUNS })) {
    const response = await world.idp.request(generated.method, generated.path, generated.body);
    const what = `${generated.method} ${generated.path} ${JSON.stringify(generated.body)?.slice(0, 300)} → ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`;
    if (response.status >= 500) faults.push(what);
    else if (response.status >= 400 && (response.body?.schemas?.[0] !== 'urn:ietf:params:scim:api:messages:2.0:Error' || response.body.status !== String(response.status))) faults.push(`not SCIM's error: ${what}`);
  }
  assert.deepEqual(faults, []);
  assert.deepEqual(Object.keys(Object.prototype), []);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
