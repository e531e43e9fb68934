// The hooks rendered with react-dom/server against a client holding a session and policy from an
// earlier page load (storage + cookies): the first render gives the cached answers. Re-rendering on
// role and policy changes, in a real browser, is the documents example's Chromium test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGatehouseClient, MemoryCookieJar, type KeyValueStorage } from '@gatehouse/js';
import { renderToString } from 'react-dom/server';
import { GatehouseProvider, useGatehouseState, useIsAuthorized, useMember, usePermissions, useSession, useUser } from './index.ts';

const PUBLIC_TOKEN = 'public-token-test-00000000-0000-4000-8000-000000000000';
const POLICY = {
  resources: [{ resource_id: 'documents', description: '', actions: ['read', 'write'] }],
  roles: [
    { role_id: 'stytch_user', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: '', permissions: [{ resource_id: 'documents', actions: ['*'] }] },
  ],
  scopes: [],
};

function storageWith(entries: Record<string, unknown>): KeyValueStorage {
  const map = new Map(Object.entries(entries).map(([key, value]) => [key, JSON.stringify(value)]));
  return { getItem: (key) => map.get(key) ?? null, setItem: (key, value) => void map.set(key, value), removeItem: (key) => void map.delete(key) };
}

function cachedClient(roles: string[]) {
  const storage = storageWith({
    [`gatehouse_sdk_state_${PUBLIC_TOKEN}`]: {
      user: { user_id: 'user-test-1', roles, emails: [{ email_id: 'e', email: 'ada@example.com', verified: true }] },
      session: { session_id: 'session-test-1', user_id: 'user-test-1', expires_at: '2099-01-01T00:00:00Z' },
      member: null,
      organization: null,
    },
    [`gatehouse_sdk_state_${PUBLIC_TOKEN}::bootstrap`]: { rbac_policy: POLICY },
  });
  // Nothing listens here: the server is never reached during a server render.
  return createGatehouseClient({ publicToken: PUBLIC_TOKEN, baseUrl: 'http://127.0.0.1:9', storage, cookies: new MemoryCookieJar({ stytch_session: 'tok' }), pollIntervalMs: 0 });
}

function Probe() {
  const state = useGatehouseState();
  const user = useUser();
  const session = useSession();
  const member = useMember();
  const write = useIsAuthorized('documents', 'write');
  const permissions = usePermissions();
  return (
    <pre>
      {JSON.stringify({ status: state.status, email: user?.emails?.[0]?.email, session: session?.session_id, member, write, permissions })}
    </pre>
  );
}

function rendered(html: string) {
  return JSON.parse(html.replace(/^<pre>/, '').replace(/<\/pre>$/, '').replace(/&quot;/g, '"'));
}

test('first render: the cached session, user and permissions, marked fromCache', () => {
  const out = rendered(renderToString(<GatehouseProvider client={cachedClient(['stytch_user', 'editor'])}><Probe /></GatehouseProvider>));
  assert.equal(out.status, 'loading');
  assert.equal(out.email, 'ada@example.com');
  assert.equal(out.session, 'session-test-1');
  assert.equal(out.member, null);
  assert.deepEqual(out.write, { isInitialized: true, fromCache: true, isAuthorized: true });
  assert.deepEqual(out.permissions, { documents: { read: true, write: true } });
});

test('without the role the cached answer is a denial', () => {
  const out = rendered(renderToString(<GatehouseProvider client={cachedClient(['stytch_user'])}><Probe /></GatehouseProvider>));
  assert.deepEqual(out.write, { isInitialized: true, fromCache: true, isAuthorized: false });
  assert.deepEqual(out.permissions, { documents: { read: true, write: false } });
});

test('signed out with nothing cached: not initialized, not authorized', () => {
  const client = createGatehouseClient({ publicToken: PUBLIC_TOKEN, baseUrl: 'http://127.0.0.1:9', storage: null, cookies: null });
  const out = rendered(renderToString(<GatehouseProvider client={client}><Probe /></GatehouseProvider>));
  assert.equal(out.status, 'signed_out');
  assert.deepEqual(out.write, { isInitialized: false, fromCache: true, isAuthorized: false });
  assert.deepEqual(out.permissions, {});
});

test('hooks outside a provider say so', () => {
  assert.throws(() => renderToString(<Probe />), /no <GatehouseProvider>/);
});
