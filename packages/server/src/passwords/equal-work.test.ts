// Equal work for known and unknown identifiers, over real HTTP: a wrong password for an address that
// has an account and any password for an address that has none must cost the same — the same
// argon2id verification and the same database write (the failure counter, kept for unknown
// addresses under a hash of the address) — so neither the answer nor its timing tells who has an
// account. Covered: consumer (API and /sdk/v1) and B2B password authenticate, admin sign-in,
// existing-password reset, the browser's B2B password reset start (the public token alone), and B2B
// email passcode authenticate for an address without a live code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemActor } from '../audit/log.ts';
import { B2BProject, expectOk } from '../testing/b2b.ts';
import { expectError, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';
import { allowOrigin, sdkCall } from '../testing/sdk.ts';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'plum verdict oxbow lantern 42';
const JSON_HEADERS = { 'content-type': 'application/json' };

let server: TestServer;

before(async () => {
  // No lock and no rate limit within the samples: every failure takes the ordinary path.
  server = await startTestServer({ env: { GATEHOUSE_LOCKOUT_ATTEMPTS: '1000', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_RATE_LIMIT_IP: '0' } });
});
after(async () => {
  await server?.close();
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Rows in the failure counters (every lockout table, and the one for unknown identifiers). */
async function failureRows(): Promise<number> {
  const { rows } = await server.gatehouse.db.query<{ n: string }>(
    `SELECT (SELECT count(*) FROM user_lockouts) + (SELECT count(*) FROM member_lockouts) + (SELECT count(*) FROM admin_lockouts)
          + (SELECT count(*) FROM unknown_identifier_lockouts) AS n`,
  );
  return Number(rows[0]!.n);
}

/**
 * Medians of `known` and `unknown` over real HTTP. Samples are interleaved (in alternating order)
 * after a warm-up, so load from elsewhere on the machine falls on both alike; a batch whose medians
 * differ by more than `tolerance` is measured again (up to five batches: on a machine loaded several
 * times over, one batch can drift either way), so only a difference that persists fails.
 */
async function compareMedians(
  known: () => Promise<ApiResponse>,
  unknown: () => Promise<ApiResponse>,
  tolerance = 0.1,
  expectAnswer: (response: ApiResponse) => void = (response) => expectError(response, 401, 'unauthorized_credentials'),
) {
  for (let i = 0; i < 4; i++) {
    await known();
    await unknown();
  }
  let last = { known: 0, unknown: 0, ratio: 0 };
  for (let batch = 0; batch < 5; batch++) {
    const times = { known: [] as number[], unknown: [] as number[] };
    for (let round = 0; round < 31; round++) {
      const order = round % 2 === 0 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
      for (const kind of order) {
        const started = performance.now();
        expectAnswer(await (kind === 'known' ? known() : unknown()));
        times[kind].push(performance.now() - started);
      }
    }
    last = { known: median(times.known), unknown: median(times.unknown), ratio: median(times.unknown) / median(times.known) };
    if (Math.abs(last.ratio - 1) <= tolerance) return last;
  }
  assert.fail(`unknown ${last.unknown.toFixed(2)} ms against known ${last.known.toFixed(2)} ms (ratio ${last.ratio.toFixed(3)})`);
}

describe('the same database work for known and unknown identifiers', () => {
  test('consumer sign-in and existing-password reset: an unknown address writes a failure counter as a known one does', async () => {
    const p = await server.createProject();
    expectOk(await server.api(p, 'POST', '/v1/passwords', { email: 'known@example.com', password: PASSWORD }));
    let before = await failureRows();
    expectError(await server.api(p, 'POST', '/v1/passwords/authenticate', { email: 'known@example.com', password: 'wrong' }), 401, 'unauthorized_credentials');
    assert.equal(await failureRows(), before + 1, 'a known address counts its failure');
    before = await failureRows();
    expectError(await server.api(p, 'POST', '/v1/passwords/authenticate', { email: 'Nobody@Example.com ', password: 'wrong' }), 401, 'unauthorized_credentials');
    assert.equal(await failureRows(), before + 1, 'an unknown address counts its failure too');
    // The same address again, spelled differently, is the same counter.
    expectError(await server.api(p, 'POST', '/v1/passwords/authenticate', { email: 'nobody@example.com', password: 'wrong' }), 401, 'unauthorized_credentials');
    expectError(
      await server.api(p, 'POST', '/v1/passwords/existing_password/reset', { email: 'nobody@example.com', existing_password: 'wrong', new_password: NEW_PASSWORD }),
      401,
      'unauthorized_credentials',
    );
    assert.equal(await failureRows(), before + 1);
    // The browser SDK's sign-in is the same path.
    await allowOrigin(server, p, 'http://localhost:5173');
    for (const email of ['known@example.com', 'sdk-nobody@example.com']) {
      before = await failureRows();
      const answer = await sdkCall(server, { publicToken: p.public_token, origin: 'http://localhost:5173' }, 'POST', '/passwords/authenticate', { email, password: 'wrong' });
      assert.equal(answer.status, 401, JSON.stringify(answer.body));
      assert.equal(await failureRows(), before + (email === 'known@example.com' ? 0 : 1), `${email}: one counter each, written on every failure`);
    }
    const { rows } = await server.gatehouse.db.query<{ key: string }>('SELECT identifier_hash AS key FROM unknown_identifier_lockouts');
    for (const row of rows) assert.doesNotMatch(row.key, /nobody|example/, 'only a hash of the address is kept');
  });

  test('B2B sign-in and admin sign-in: an unknown address writes a failure counter as a known one does', async () => {
    const p = await B2BProject.create(server);
    const org = await p.createOrganization();
    expectOk(await p.api('POST', '/v1/b2b/passwords/migrate', {
      organization_id: org.organization_id, email_address: 'member@example.com', hash_type: 'argon_2id', hash: (await server.gatehouse.passwords.prepareNewPassword(PASSWORD)).hash,
    }));
    for (const email_address of ['member@example.com', 'stranger@example.com']) {
      const before = await failureRows();
      expectError(await p.api('POST', '/v1/b2b/passwords/authenticate', { organization_id: org.organization_id, email_address, password: 'wrong' }), 401, 'unauthorized_credentials');
      assert.equal(await failureRows(), before + 1, email_address);
    }
    await server.gatehouse.admins.createAdmin('admin@example.com', PASSWORD, systemActor('test'));
    for (const email of ['admin@example.com', 'not-an-admin@example.com']) {
      const before = await failureRows();
      expectError(await server.raw('/dashboard/api/login', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ email, password: 'wrong' }) }), 401, 'unauthorized_credentials');
      assert.equal(await failureRows(), before + 1, email);
    }
  });
});

describe('the same time for known and unknown identifiers (medians within 10%)', () => {
  test('consumer password authenticate', async () => {
    const p = await server.createProject();
    expectOk(await server.api(p, 'POST', '/v1/passwords', { email: 'timed@example.com', password: PASSWORD }));
    let n = 0;
    const result = await compareMedians(
      () => server.api(p, 'POST', '/v1/passwords/authenticate', { email: 'timed@example.com', password: `wrong ${n++}` }),
      () => server.api(p, 'POST', '/v1/passwords/authenticate', { email: `nobody-${n++}@example.com`, password: 'wrong' }),
    );
    console.log(`consumer: known ${result.known.toFixed(2)} ms, unknown ${result.unknown.toFixed(2)} ms, ratio ${result.ratio.toFixed(3)}`);
  });

  test('B2B password authenticate', async () => {
    const p = await B2BProject.create(server);
    const org = await p.createOrganization();
    expectOk(await p.api('POST', '/v1/b2b/passwords/migrate', {
      organization_id: org.organization_id, email_address: 'timed@example.com', hash_type: 'argon_2id', hash: (await server.gatehouse.passwords.prepareNewPassword(PASSWORD)).hash,
    }));
    let n = 0;
    const signIn = (email_address: string) => p.api('POST', '/v1/b2b/passwords/authenticate', { organization_id: org.organization_id, email_address, password: `wrong ${n++}` });
    const result = await compareMedians(() => signIn('timed@example.com'), () => signIn(`nobody-${n++}@example.com`));
    console.log(`b2b: known ${result.known.toFixed(2)} ms, unknown ${result.unknown.toFixed(2)} ms, ratio ${result.ratio.toFixed(3)}`);
  });

  test('admin sign-in', async () => {
    await server.gatehouse.admins.createAdmin('timed-admin@example.com', PASSWORD, systemActor('test'));
    let n = 0;
    const login = (email: string) => server.raw('/dashboard/api/login', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ email, password: `wrong ${n++}` }) });
    const result = await compareMedians(() => login('timed-admin@example.com'), () => login(`nobody-${n++}@example.com`));
    console.log(`admin: known ${result.known.toFixed(2)} ms, unknown ${result.unknown.toFixed(2)} ms, ratio ${result.ratio.toFixed(3)}`);
  });

  test('B2B password reset start from the browser (the public token alone)', async () => {
    const p = await B2BProject.create(server);
    const org = await p.createOrganization();
    await allowOrigin(server, p.credentials, 'http://localhost:5173', 'B2B');
    expectOk(await p.api('POST', '/v1/b2b/passwords/migrate', {
      organization_id: org.organization_id, email_address: 'timed@example.com', hash_type: 'argon_2id', hash: (await server.gatehouse.passwords.prepareNewPassword(PASSWORD)).hash,
    }));
    let n = 0;
    const start = (email_address: string) => sdkCall(server, { publicToken: p.credentials.public_token, origin: 'http://localhost:5173' }, 'POST', '/b2b/passwords/email/reset/start', {
      organization_id: org.organization_id, email_address, reset_password_redirect_url: 'https://app.example.com/authenticate',
    });
    const result = await compareMedians(() => start('timed@example.com'), () => start(`nobody-${n++}@example.com`), 0.1, (response) => assert.equal(response.status, 200, JSON.stringify(response.body)));
    console.log(`b2b reset start: known ${result.known.toFixed(2)} ms, unknown ${result.unknown.toFixed(2)} ms, ratio ${result.ratio.toFixed(3)}`);
  });

  test('B2B email passcode authenticate: a member with no live code and a stranger', async () => {
    const p = await B2BProject.create(server);
    const org = await p.createOrganization();
    await p.createMember(org.organization_id, { email_address: 'timed@example.com' });
    let n = 0;
    const authenticate = (email_address: string) => p.api('POST', '/v1/b2b/otps/email/authenticate', { organization_id: org.organization_id, email_address, code: '123456' });
    const result = await compareMedians(() => authenticate('timed@example.com'), () => authenticate(`nobody-${n++}@example.com`), 0.1,
      (response) => expectError(response, 404, 'otp_code_not_found'));
    console.log(`b2b passcode: known ${result.known.toFixed(2)} ms, unknown ${result.unknown.toFixed(2)} ms, ratio ${result.ratio.toFixed(3)}`);
  });
});
