// The official `stytch` Node clients pointed at a test server, and the assertion their failures
// get: shared by every test that drives Gatehouse through Stytch's own SDK.
import assert from 'node:assert/strict';
import stytch from 'stytch';
import type { TestServer } from './harness.ts';

type Credentials = { project_id: string; secret: string };

/** Builds a client quietly: the client warns when `env` is not one of Stytch's own URLs. */
function quietly<T>(make: () => T): T {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return make();
  } finally {
    console.warn = warn;
  }
}

export function consumerClient(server: TestServer, credentials: Credentials): InstanceType<typeof stytch.Client> {
  return quietly(() => new stytch.Client({ project_id: credentials.project_id, secret: credentials.secret, env: `${server.baseUrl}/` }));
}

export function b2bClient(server: TestServer, credentials: Credentials): InstanceType<typeof stytch.B2BClient> {
  return quietly(() => new stytch.B2BClient({ project_id: credentials.project_id, secret: credentials.secret, env: `${server.baseUrl}/` }));
}

/** Awaits a call that must fail with a StytchError of this error_type (and status, when given). */
export async function expectStytchError(promise: Promise<unknown>, errorType: string, status?: number): Promise<void> {
  await assert.rejects(promise, (error: { error_type?: string; status_code?: number }) => {
    assert.equal(error.error_type, errorType, JSON.stringify(error));
    if (status) assert.equal(error.status_code, status);
    return true;
  });
}
