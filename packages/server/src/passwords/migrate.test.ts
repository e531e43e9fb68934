// POST /v1/passwords/migrate over real HTTP: every hash type, with hashes made in the test by the real
// libraries (bcryptjs, @node-rs/argon2, node:crypto) or taken from phpass's published vectors; the
// migrated user signs in with the old password and the hash is then argon2id. Bad hashes and
// configs, roles (validated as on create user), existing users, and nothing written on refusal.
import assert from 'node:assert/strict';
import { createHash, pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { hash as argon2Hash, hashRaw as argon2HashRaw, type Algorithm } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectError, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';

const ARGON2I = 1 as Algorithm;
const ARGON2ID = 2 as Algorithm;
const ARGON2ID_OWASP = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;
const OLD = 'an old password from the old system';

let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server?.close();
});

const POLICY = {
  resources: [{ resource_id: 'documents', description: '', actions: ['read', 'write'] }],
  roles: [
    { role_id: 'stytch_user', description: '', permissions: [] },
    { role_id: 'editor', description: '', permissions: [{ resource_id: 'documents', actions: ['write'] }] },
  ],
};

function expectOk(response: ApiResponse): any {
  assert.equal(response.status, 200, `expected 200, got ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

const migrate = (p: ProjectCredentials, body: Record<string, unknown>) => server.api(p, 'POST', '/v1/passwords/migrate', body);
const signIn = (p: ProjectCredentials, email: string, password: string) => server.api(p, 'POST', '/v1/passwords/authenticate', { email, password });

async function stored(userId: string) {
  const { rows } = await server.gatehouse.db.query<{ hash_type: string; hash: string; hash_config: unknown }>(
    'SELECT hash_type, hash, hash_config FROM user_passwords WHERE user_id = $1',
    [userId],
  );
  return rows[0]!;
}

async function countUsers(p: ProjectCredentials): Promise<number> {
  return expectOk(await server.api(p, 'POST', '/v1/users/search', { limit: 1 })).results_metadata.total;
}

const b64 = (bytes: Buffer) => bytes.toString('base64');
const digest = (algorithm: string, text: string, encoding: 'hex' | 'base64' = 'hex') => createHash(algorithm).update(text, 'utf8').digest(encoding);

/** Every hash type, each as the old system would have stored `OLD`. */
async function vectors(): Promise<{ label: string; body: Record<string, unknown>; password?: string }[]> {
  const argonSalt = 'saltsaltsalt1234';
  const scryptSalt = randomBytes(16);
  const pbkdfSalt = randomBytes(16);
  return [
    { label: 'bcrypt $2b$', body: { hash_type: 'bcrypt', hash: bcrypt.hashSync(OLD, 4) } },
    { label: 'bcrypt $2a$', body: { hash_type: 'bcrypt', hash: bcrypt.hashSync(OLD, 5).replace(/^\$2b\$/, '$2a$') } },
    { label: 'bcrypt $2y$ (PHP)', body: { hash_type: 'bcrypt', hash: bcrypt.hashSync(OLD, 4).replace(/^\$2b\$/, '$2y$') } },
    {
      label: 'argon_2id, encoded',
      body: { hash_type: 'argon_2id', hash: await argon2Hash(OLD, { algorithm: ARGON2ID, memoryCost: 1024, timeCost: 1, parallelism: 1 }) },
    },
    {
      label: 'argon_2i, encoded',
      body: { hash_type: 'argon_2i', hash: await argon2Hash(OLD, { algorithm: ARGON2I, memoryCost: 2048, timeCost: 2, parallelism: 2 }) },
    },
    {
      label: 'argon_2id, hex with argon_2_config',
      body: {
        hash_type: 'argon_2id',
        hash: (await argon2HashRaw(OLD, { algorithm: ARGON2ID, salt: Buffer.from(argonSalt), memoryCost: 1024, timeCost: 2, parallelism: 1, outputLen: 24 })).toString('hex'),
        argon_2_config: { salt: argonSalt, iteration_amount: 2, memory: 1024, threads: 1, key_length: 24 },
      },
    },
    {
      label: 'argon_2i, hex with argon_2_config',
      body: {
        hash_type: 'argon_2i',
        hash: (await argon2HashRaw(OLD, { algorithm: ARGON2I, salt: Buffer.from(argonSalt), memoryCost: 512, timeCost: 3, parallelism: 1, outputLen: 32 })).toString('hex'),
        argon_2_config: { salt: argonSalt, iteration_amount: 3, memory: 512, threads: 1, key_length: 32 },
      },
    },
    {
      label: 'scrypt, base64 with scrypt_config',
      body: {
        hash_type: 'scrypt',
        hash: b64(scryptSync(OLD, scryptSalt, 32, { N: 1024, r: 8, p: 1 })),
        scrypt_config: { salt: b64(scryptSalt), n_parameter: 1024, r_parameter: 8, p_parameter: 1, key_length: 32 },
      },
    },
    {
      label: 'scrypt, PHC string',
      body: {
        hash_type: 'scrypt',
        hash: `$scrypt$ln=11,r=4,p=2$${b64(scryptSalt).replace(/=+$/, '')}$${b64(scryptSync(OLD, scryptSalt, 64, { N: 2048, r: 4, p: 2 })).replace(/=+$/, '')}`,
      },
    },
    {
      label: 'pbkdf_2, sha256 by default',
      body: {
        hash_type: 'pbkdf_2',
        hash: b64(pbkdf2Sync(OLD, pbkdfSalt, 1000, 32, 'sha256')),
        pbkdf_2_config: { salt: b64(pbkdfSalt), iteration_amount: 1000, key_length: 32 },
      },
    },
    {
      label: 'pbkdf_2, sha512',
      body: {
        hash_type: 'pbkdf_2',
        hash: b64(pbkdf2Sync(OLD, pbkdfSalt, 500, 64, 'sha512')),
        pbkdf_2_config: { salt: b64(pbkdfSalt), iteration_amount: 500, key_length: 64, algorithm: 'sha512' },
      },
    },
    { label: 'md_5, no salt', body: { hash_type: 'md_5', hash: digest('md5', OLD) } },
    {
      label: 'md_5, prepended and appended salts',
      body: { hash_type: 'md_5', hash: digest('md5', `pre${OLD}post`), md_5_config: { prepend_salt: 'pre', append_salt: 'post' } },
    },
    { label: 'sha_1, base64, appended salt', body: { hash_type: 'sha_1', hash: digest('sha1', `${OLD}s4lt`, 'base64'), sha_1_config: { append_salt: 's4lt' } } },
    {
      label: 'sha_512, upper-case hex, prepended salt',
      body: { hash_type: 'sha_512', hash: digest('sha512', `X9${OLD}`).toUpperCase(), sha_512_config: { prepend_salt: 'X9' } },
    },
    // Openwall phpass's own test vector (test.php): "test12345".
    { label: 'phpass $P$', body: { hash_type: 'phpass', hash: '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0' }, password: 'test12345' },
    // passlib's phpass vector for phpBB3's $H$.
    { label: 'phpass $H$', body: { hash_type: 'phpass', hash: '$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00' }, password: 'test1' },
  ];
}

describe('every hash type', () => {
  test('migrated users sign in with their old password; the first sign-in replaces the hash with argon2id', async () => {
    const p = await server.createProject();
    for (const [index, { label, body, password = OLD }] of (await vectors()).entries()) {
      const email = `user${index}@example.com`;
      const migrated = expectOk(await migrate(p, { email, ...body }));
      assert.equal(migrated.user_created, true, label);
      const before = await stored(migrated.user_id);
      assert.equal(before.hash_type, body.hash_type, label);

      expectError(await signIn(p, email, `${password}!`), 401, 'unauthorized_credentials');
      assert.deepEqual(await stored(migrated.user_id), before, `${label}: a wrong password changes nothing`);

      const signedIn = expectOk(await signIn(p, email, password));
      assert.equal(signedIn.user_id, migrated.user_id, label);
      const after = await stored(migrated.user_id);
      assert.equal(after.hash_type, 'argon_2id', label);
      assert.match(after.hash, ARGON2ID_OWASP, label);
      assert.equal(after.hash_config, null, label);

      // The new hash works, and only for the same password.
      expectOk(await signIn(p, email, password));
      expectError(await signIn(p, email, `${password}!`), 401, 'unauthorized_credentials');
    }
  });
});

describe('the user', () => {
  test('a new email creates the user with name, metadata, external_id, phone, roles and verification flags', async () => {
    const p = await server.createProject();
    expectOk(await server.api(p, 'PUT', '/v1/rbac/policy', { policy: POLICY }));
    const body = expectOk(
      await migrate(p, {
        email: 'Moved@Example.com',
        hash_type: 'md_5',
        hash: digest('md5', OLD),
        name: { first_name: 'Mo', last_name: 'Ved' },
        trusted_metadata: { plan: 'legacy' },
        untrusted_metadata: { theme: 'sepia' },
        external_id: 'old-db|17',
        phone_number: '+12025550123',
        set_email_verified: true,
        set_phone_number_verified: true,
        roles: ['editor'],
      }),
    );
    assert.equal(body.user_created, true);
    assert.match(body.email_id, /^email-test-/);
    const { user } = body;
    assert.equal(user.user_id, body.user_id);
    assert.deepEqual(user.emails, [{ email_id: body.email_id, email: 'Moved@Example.com', verified: true }]);
    assert.equal(user.phone_numbers[0].verified, true);
    assert.deepEqual(user.name, { first_name: 'Mo', middle_name: '', last_name: 'Ved' });
    assert.deepEqual(user.trusted_metadata, { plan: 'legacy' });
    assert.deepEqual(user.untrusted_metadata, { theme: 'sepia' });
    assert.equal(user.external_id, 'old-db|17');
    assert.deepEqual([...user.roles].sort(), ['editor', 'stytch_user']);
    assert.match(user.password.password_id, /^password-test-/);
    assert.equal(user.password.requires_reset, false);
    // The roles hold in authorization checks and in the session the old password opens.
    const verdict = expectOk(
      await server.api(p, 'POST', '/v1/rbac/authorize', { user_id: body.user_id, authorization_check: { resource_id: 'documents', action: 'write' } }),
    ).verdict;
    assert.equal(verdict.authorized, true);
    const session = expectOk(await server.api(p, 'POST', '/v1/passwords/authenticate', { email: 'moved@example.com', password: OLD, session_duration_minutes: 60 }));
    assert.deepEqual([...session.session.roles].sort(), ['editor', 'stytch_user']);
  });

  test('without set_email_verified the email stays unverified', async () => {
    const p = await server.createProject();
    const body = expectOk(await migrate(p, { email: 'unverified@example.com', hash_type: 'sha_1', hash: digest('sha1', OLD) }));
    assert.equal(body.user.emails[0].verified, false);
  });

  test('an existing user without a password gets it (user_created: false); one with a password is refused', async () => {
    const p = await server.createProject();
    const existing = expectOk(await server.api(p, 'POST', '/v1/users', { email: 'here@example.com', name: { first_name: 'Here' } }));
    const body = expectOk(await migrate(p, { email: 'HERE@example.com', hash_type: 'md_5', hash: digest('md5', OLD), set_email_verified: true }));
    assert.equal(body.user_created, false);
    assert.equal(body.user_id, existing.user_id);
    assert.equal(body.email_id, existing.email_id);
    assert.notEqual(body.user.password, null);
    assert.equal(body.user.emails[0].verified, true);
    assert.deepEqual(body.user.name, existing.user.name);
    expectOk(await signIn(p, 'here@example.com', OLD));

    expectError(await migrate(p, { email: 'here@example.com', hash_type: 'md_5', hash: digest('md5', 'another') }), 400, 'password_already_exists');
    expectOk(await signIn(p, 'here@example.com', OLD));
    assert.equal(await countUsers(p), 1);
  });

  test('roles are validated as on create user: unknown and default roles refused, nothing written', async () => {
    const p = await server.createProject();
    expectOk(await server.api(p, 'PUT', '/v1/rbac/policy', { policy: POLICY }));
    const hash = { hash_type: 'md_5', hash: digest('md5', OLD) };
    expectError(await migrate(p, { email: 'r1@example.com', ...hash, roles: ['editor', 'no_such_role'] }), 400, 'invalid_rbac_role_id');
    expectError(await migrate(p, { email: 'r1@example.com', ...hash, roles: ['stytch_user'] }), 400, 'cannot_assign_default_rbac_role_id');
    assert.equal(await countUsers(p), 0);

    // The same for an existing user: refused, and no password set.
    const existing = expectOk(await server.api(p, 'POST', '/v1/users', { email: 'r2@example.com' }));
    expectError(await migrate(p, { email: 'r2@example.com', ...hash, roles: ['no_such_role'] }), 400, 'invalid_rbac_role_id');
    expectError(await migrate(p, { email: 'r2@example.com', ...hash, trusted_metadata: 'x' }), 400, 'metadata_invalid_format');
    assert.equal(expectOk(await server.api(p, 'GET', `/v1/users/${existing.user_id}`)).password, null);
    assert.equal(await countUsers(p), 1);
  });

  test('duplicate external_id or phone number, bad email or metadata: refused, nothing written', async () => {
    const p = await server.createProject();
    const hash = { hash_type: 'md_5', hash: digest('md5', OLD) };
    expectOk(await migrate(p, { email: 'one@example.com', ...hash, external_id: 'ext-1', phone_number: '+12025550111' }));
    expectError(await migrate(p, { email: 'two@example.com', ...hash, external_id: 'ext-1' }), 409, 'duplicate_user_external_id');
    expectError(await migrate(p, { email: 'two@example.com', ...hash, phone_number: '+12025550111' }), 409, 'duplicate_phone_number');
    expectError(await migrate(p, { email: 'not an email', ...hash }), 400, 'invalid_email');
    expectError(await migrate(p, { email: 'two@example.com', ...hash, untrusted_metadata: [1, 2] }), 400, 'metadata_invalid_format');
    assert.equal(await countUsers(p), 1);
    expectError(await signIn(p, 'two@example.com', OLD), 401, 'unauthorized_credentials');
  });
});

describe('bad hashes and configs', () => {
  test('each is refused with its error type, and nothing is written', async () => {
    const p = await server.createProject();
    const bcryptHash = bcrypt.hashSync(OLD, 4);
    const salt = b64(randomBytes(16));
    const argonPhc = await argon2Hash(OLD, { algorithm: ARGON2ID, memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const argonConfig = { salt: 'saltsaltsalt', iteration_amount: 2, memory: 1024, threads: 1, key_length: 32 };
    const scryptConfig = { salt, n_parameter: 1024, r_parameter: 8, p_parameter: 1, key_length: 32 };
    const pbkdfConfig = { salt, iteration_amount: 1000, key_length: 32 };
    const hex32 = 'ab'.repeat(32);
    const base64Of32 = b64(randomBytes(32));
    const cases: [string, Record<string, unknown>, number, string][] = [
      ['unknown hash_type', { hash_type: 'rot13', hash: 'x' }, 400, 'invalid_hash_type'],
      ['empty hash', { hash_type: 'md_5', hash: '' }, 400, 'invalid_hash'],
      ['a config of another type', { hash_type: 'bcrypt', hash: bcryptHash, md_5_config: { prepend_salt: 'x' } }, 400, 'invalid_argument'],
      ['bcrypt: not bcrypt', { hash_type: 'bcrypt', hash: 'not a bcrypt hash' }, 400, 'invalid_bcrypt_hash'],
      ['bcrypt: truncated', { hash_type: 'bcrypt', hash: bcryptHash.slice(0, -1) }, 400, 'invalid_bcrypt_hash'],
      ['bcrypt: $2x$', { hash_type: 'bcrypt', hash: bcryptHash.replace('$2b$', '$2x$') }, 400, 'invalid_bcrypt_hash'],
      ['bcrypt: cost 3', { hash_type: 'bcrypt', hash: bcryptHash.replace('$04$', '$03$') }, 400, 'invalid_bcrypt_cost'],
      ['bcrypt: cost 32', { hash_type: 'bcrypt', hash: bcryptHash.replace('$04$', '$32$') }, 400, 'invalid_bcrypt_cost'],
      ['md_5: wrong length', { hash_type: 'md_5', hash: 'ab'.repeat(15) }, 400, 'invalid_md_5_hash'],
      ['md_5: not hex or base64', { hash_type: 'md_5', hash: 'zz'.repeat(16) + '!' }, 400, 'invalid_md_5_hash'],
      ['sha_1: an md5 digest', { hash_type: 'sha_1', hash: digest('md5', OLD) }, 400, 'invalid_sha_1_hash'],
      ['sha_512: a sha1 digest', { hash_type: 'sha_512', hash: digest('sha1', OLD) }, 400, 'invalid_sha_512_hash'],
      ['argon: $argon2id$ given as argon_2i', { hash_type: 'argon_2i', hash: argonPhc }, 400, 'invalid_hash'],
      ['argon: garbled PHC', { hash_type: 'argon_2id', hash: argonPhc.replace('m=1024', 'm=abc') }, 400, 'invalid_hash'],
      ['argon: PHC with a config', { hash_type: 'argon_2id', hash: argonPhc, argon_2_config: argonConfig }, 400, 'invalid_argument'],
      ['argon: hex without config', { hash_type: 'argon_2id', hash: hex32 }, 400, 'invalid_hash'],
      ['argon: not hex', { hash_type: 'argon_2id', hash: 'xyz', argon_2_config: argonConfig }, 400, 'invalid_hash'],
      ['argon: key length mismatch', { hash_type: 'argon_2id', hash: hex32, argon_2_config: { ...argonConfig, key_length: 16 } }, 400, 'argon_2_key_length_mismatch'],
      ['argon: short salt', { hash_type: 'argon_2id', hash: hex32, argon_2_config: { ...argonConfig, salt: 'short' } }, 400, 'invalid_argon_2_salt'],
      ['argon: 0 iterations', { hash_type: 'argon_2id', hash: hex32, argon_2_config: { ...argonConfig, iteration_amount: 0 } }, 400, 'invalid_argon_2_config'],
      ['argon: memory below 8 × threads', { hash_type: 'argon_2id', hash: hex32, argon_2_config: { ...argonConfig, memory: 16, threads: 4 } }, 400, 'invalid_argon_2_config'],
      ['argon: memory above 1 GiB', { hash_type: 'argon_2id', hash: hex32, argon_2_config: { ...argonConfig, memory: 2_000_000 } }, 400, 'invalid_argon_2_config'],
      ['argon: config of the wrong type', { hash_type: 'argon_2id', hash: hex32, argon_2_config: { ...argonConfig, memory: '1024' } }, 400, 'invalid_argument'],
      ['scrypt: base64 without config', { hash_type: 'scrypt', hash: base64Of32 }, 400, 'invalid_hash'],
      ['scrypt: not base64', { hash_type: 'scrypt', hash: 'not base64!', scrypt_config: scryptConfig }, 400, 'invalid_base64_scrypt_hash'],
      ['scrypt: key length mismatch', { hash_type: 'scrypt', hash: b64(randomBytes(16)), scrypt_config: scryptConfig }, 400, 'scrypt_key_length_mismatch'],
      ['scrypt: salt not base64', { hash_type: 'scrypt', hash: base64Of32, scrypt_config: { ...scryptConfig, salt: 'not base64!' } }, 400, 'invalid_scrypt_salt_length'],
      ['scrypt: empty salt', { hash_type: 'scrypt', hash: base64Of32, scrypt_config: { ...scryptConfig, salt: '' } }, 400, 'invalid_scrypt_salt_length'],
      ['scrypt: N not a power of two', { hash_type: 'scrypt', hash: base64Of32, scrypt_config: { ...scryptConfig, n_parameter: 1000 } }, 400, 'invalid_scrypt_config'],
      ['scrypt: N above 262144', { hash_type: 'scrypt', hash: base64Of32, scrypt_config: { ...scryptConfig, n_parameter: 524_288 } }, 400, 'invalid_scrypt_config'],
      ['scrypt: r 0', { hash_type: 'scrypt', hash: base64Of32, scrypt_config: { ...scryptConfig, r_parameter: 0 } }, 400, 'invalid_scrypt_config'],
      ['scrypt: garbled PHC', { hash_type: 'scrypt', hash: '$scrypt$ln=x,r=8,p=1$c2FsdA$aGFzaA' }, 400, 'invalid_hash'],
      ['pbkdf_2: no config', { hash_type: 'pbkdf_2', hash: base64Of32 }, 400, 'invalid_hash'],
      ['pbkdf_2: not base64', { hash_type: 'pbkdf_2', hash: '%%%', pbkdf_2_config: pbkdfConfig }, 400, 'invalid_pbkdf_2_hash'],
      ['pbkdf_2: salt not base64', { hash_type: 'pbkdf_2', hash: base64Of32, pbkdf_2_config: { ...pbkdfConfig, salt: '***' } }, 400, 'invalid_pbkdf_2_salt'],
      ['pbkdf_2: 0 iterations', { hash_type: 'pbkdf_2', hash: base64Of32, pbkdf_2_config: { ...pbkdfConfig, iteration_amount: 0 } }, 400, 'invalid_pbkdf_2_iteration_amount'],
      ['pbkdf_2: md5', { hash_type: 'pbkdf_2', hash: base64Of32, pbkdf_2_config: { ...pbkdfConfig, algorithm: 'md5' } }, 400, 'invalid_pbkdf_2_algorithm'],
      ['pbkdf_2: key length mismatch', { hash_type: 'pbkdf_2', hash: base64Of32, pbkdf_2_config: { ...pbkdfConfig, key_length: 64 } }, 400, 'pbkdf_2_key_length_mismatch'],
      ['phpass: wrong prefix', { hash_type: 'phpass', hash: '$Q$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0' }, 400, 'invalid_phpass_hash_prefix'],
      ['phpass: truncated', { hash_type: 'phpass', hash: '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L' }, 400, 'invalid_phpass_hash'],
      ['phpass: bad character', { hash_type: 'phpass', hash: '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r!L0' }, 400, 'invalid_phpass_hash'],
      ['phpass: round count out of range', { hash_type: 'phpass', hash: '$P$zIQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0' }, 400, 'invalid_phpass_hash'],
    ];
    for (const [label, body, status, errorType] of cases) {
      const response = await migrate(p, { email: 'bad@example.com', ...body });
      assert.equal(response.body.error_type, errorType, `${label}: ${JSON.stringify(response.body)}`);
      expectError(response, status, errorType);
    }
    assert.equal(await countUsers(p), 0);
  });
});
