// The guarded outbound client (issue 14, finding 5), through the real routes that fetch: SAML
// metadata_url and OIDC issuer discovery, against real HTTP servers on loopback. Without the
// development setting nothing on loopback is reached in any spelling of the address; with it
// (limited to 127.0.0.1/32 here) the allowed server is fetched, while a redirect elsewhere, an
// endless body, a slow body, a closed port and an error answer all fail with one and the same error.
// Plus: every outbound request in the server's code goes through the guard.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { ERROR_CATALOGUE } from './errors.ts';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectOk } from '../testing/b2b.ts';
import { expectError, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';
import { createSamlIdp, type SamlTestIdp } from '../testing/saml-idp.ts';
import { isPublicAddress, OutboundFetch } from './outbound-fetch.ts';

const MAX_BYTES = 64 * 1024;
const TIMEOUT_MS = 1500;

/** A peer on loopback that counts the connections it gets (a refused target must get none). */
interface Peer {
  server: Server;
  port: number;
  connections: number;
  /** Bytes the endless route handed to its socket before the client went away. */
  endlessBytesWritten: number;
}

async function startPeer(host: string, idp: SamlTestIdp, redirectTo?: () => string): Promise<Peer> {
  const peer: Peer = { server: undefined as unknown as Server, port: 0, connections: 0, endlessBytesWritten: 0 };
  peer.server = createServer((request, response) => {
    const path = request.url ?? '/';
    if (path === '/metadata') return void response.writeHead(200, { 'content-type': 'application/xml' }).end(idp.metadata());
    if (path === '/redirect' && redirectTo) return void response.writeHead(302, { location: redirectTo() }).end();
    if (path === '/missing') return void response.writeHead(404).end('no');
    if (path === '/endless') {
      // 600 MB, written as fast as the client reads, no Content-Length.
      response.writeHead(200, { 'content-type': 'application/xml' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!response.destroyed && peer.endlessBytesWritten < 600 * 1024 * 1024) {
          peer.endlessBytesWritten += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      return pump();
    }
    if (path === '/slow') {
      response.writeHead(200, { 'content-type': 'application/xml' });
      const timer = setInterval(() => response.write('<'), 200);
      response.on('close', () => clearInterval(timer));
      return;
    }
    response.writeHead(404).end();
  });
  peer.server.on('connection', () => peer.connections++);
  await new Promise<void>((resolve) => peer.server.listen(0, host, resolve));
  peer.port = (peer.server.address() as AddressInfo).port;
  return peer;
}

let idp: SamlTestIdp;
let allowed: Peer; // on 127.0.0.1, which the development server may reach
let elsewhere: Peer; // on 127.0.0.2, which it may not
let closedPort: number;
let strict: TestServer; // no development setting: as production
let development: TestServer; // GATEHOUSE_OUTBOUND_ALLOW_PRIVATE=127.0.0.1/32

before(async () => {
  idp = await createSamlIdp();
  elsewhere = await startPeer('127.0.0.2', idp);
  allowed = await startPeer('127.0.0.1', idp, () => `http://127.0.0.2:${elsewhere.port}/metadata`);
  const probe = await startPeer('127.0.0.1', idp);
  closedPort = probe.port;
  await new Promise((resolve) => probe.server.close(resolve));
  strict = await startTestServer();
  development = await startTestServer({
    env: { GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: '127.0.0.1/32', GATEHOUSE_OUTBOUND_TIMEOUT_MS: String(TIMEOUT_MS), GATEHOUSE_OUTBOUND_MAX_BYTES: String(MAX_BYTES) },
  });
});
after(async () => {
  await strict?.close();
  await development?.close();
  for (const peer of [allowed, elsewhere]) peer?.server.closeAllConnections();
  await Promise.all([allowed, elsewhere].map((peer) => peer && new Promise((resolve) => peer.server.close(resolve))));
});

async function samlConnection(server: TestServer): Promise<{ project: ProjectCredentials; path: string }> {
  const project = await server.createProject();
  const { organization } = expectOk(await server.api(project, 'POST', '/v1/b2b/organizations', { organization_name: `Acme ${Math.random()}` }));
  const { connection } = expectOk(await server.api(project, 'POST', `/v1/b2b/sso/saml/${organization.organization_id}`, {}));
  return { project, path: `/v1/b2b/sso/saml/${organization.organization_id}/connections/${connection.connection_id}/url` };
}

async function byMetadataUrl(server: TestServer, metadataUrl: string): Promise<ApiResponse> {
  const { project, path } = await samlConnection(server);
  return server.api(project, 'PUT', path, { metadata_url: metadataUrl });
}

/** The refusal, which must be the same whatever happened at the target. */
function expectOutboundRefusal(response: ApiResponse, label: string) {
  const body = expectError(response, 400, 'outbound_fetch_failed');
  assert.equal(body.error_message, ERROR_CATALOGUE.outbound_fetch_failed.message, label);
  const { request_id: _, ...rest } = body;
  return JSON.stringify(rest);
}

test('without the development setting: loopback in every spelling, and plain http, are refused before any connection', async () => {
  const port = allowed.port;
  const spellings = [
    `https://127.0.0.1:${port}/metadata`,
    `https://2130706433:${port}/metadata`,
    `https://0x7f000001:${port}/metadata`,
    `https://0x7f.0.0.1:${port}/metadata`,
    `https://0177.0.0.1:${port}/metadata`,
    `https://127.1:${port}/metadata`,
    `https://[::ffff:127.0.0.1]:${port}/metadata`,
    `https://[::ffff:7f00:1]:${port}/metadata`,
    `https://localhost:${port}/metadata`,
    `https://127.0.0.1.:${port}/metadata`,
    `http://127.0.0.1:${port}/metadata`,
    `http://${'example'}.com/metadata`,
  ];
  const before = allowed.connections;
  const bodies = new Set<string>();
  for (const url of spellings) bodies.add(expectOutboundRefusal(await byMetadataUrl(strict, url), url));
  assert.equal(allowed.connections, before, 'no connection reached the loopback server');
  assert.equal(bodies.size, 1, 'every refusal reads the same');

  // OIDC discovery too (finding 5: http to loopback was allowed even in production mode).
  const project = await strict.createProject();
  const { organization } = expectOk(await strict.api(project, 'POST', '/v1/b2b/organizations', { organization_name: `Acme ${Math.random()}` }));
  const { connection } = expectOk(await strict.api(project, 'POST', `/v1/b2b/sso/oidc/${organization.organization_id}`, {}));
  for (const issuer of [`http://127.0.0.1:${port}`, `https://2130706433:${port}`]) {
    expectError(await strict.api(project, 'PUT', `/v1/b2b/sso/oidc/${organization.organization_id}/connections/${connection.connection_id}`, { issuer }), 400, 'oidc_discovery_failed');
  }
  assert.equal(allowed.connections, before);
});

test('with the development setting for 127.0.0.1/32: that server is fetched; a redirect to another loopback address is refused at the hop', async () => {
  const fetched = expectOk(await byMetadataUrl(development, `http://127.0.0.1:${allowed.port}/metadata`)).connection;
  assert.equal(fetched.idp_entity_id, idp.entityId);
  assert.equal(fetched.status, 'active');

  const before = elsewhere.connections;
  expectOutboundRefusal(await byMetadataUrl(development, `http://127.0.0.1:${allowed.port}/redirect`), 'redirect hop');
  expectOutboundRefusal(await byMetadataUrl(development, `http://127.0.0.2:${elsewhere.port}/metadata`), 'direct');
  expectOutboundRefusal(await byMetadataUrl(development, `http://[::ffff:127.0.0.2]:${elsewhere.port}/metadata`), 'mapped');
  assert.equal(elsewhere.connections, before, 'nothing reached 127.0.0.2');
});

test('an endless body is cut at the size limit, a slow body at the time limit; a closed port and an error answer look the same', async () => {
  const bodies = new Set<string>();
  const endless = await byMetadataUrl(development, `http://127.0.0.1:${allowed.port}/endless`);
  bodies.add(expectOutboundRefusal(endless, 'endless'));
  // Streamed and aborted: far less than the 600 MB the peer would send left it (socket buffers aside).
  assert.ok(allowed.endlessBytesWritten < 32 * 1024 * 1024, `the peer wrote ${allowed.endlessBytesWritten} bytes`);

  const started = performance.now();
  bodies.add(expectOutboundRefusal(await byMetadataUrl(development, `http://127.0.0.1:${allowed.port}/slow`), 'slow'));
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= TIMEOUT_MS - 100 && elapsed < TIMEOUT_MS + 5000, `slow body refused after ${Math.round(elapsed)} ms`);

  bodies.add(expectOutboundRefusal(await byMetadataUrl(development, `http://127.0.0.1:${closedPort}/metadata`), 'closed port'));
  bodies.add(expectOutboundRefusal(await byMetadataUrl(development, `http://127.0.0.1:${allowed.port}/missing`), '404'));
  bodies.add(expectOutboundRefusal(await byMetadataUrl(development, `http://127.0.0.2:${elsewhere.port}/metadata`), 'refused target'));
  assert.equal(bodies.size, 1, 'one answer whatever the target did');
});

test('address classes: only public unicast is public, in IPv4, IPv6 and IPv4-mapped forms', () => {
  for (const address of [
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '192.0.2.1',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::127.0.0.1', '64:ff9b::a00:1', '2002:7f00:1::1', '2001:db8::1',
    'not an address',
  ]) {
    assert.equal(isPublicAddress(address), false, address);
  }
  for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:93.184.216.34', '[2606:4700::1111]']) assert.equal(isPublicAddress(address), true, address);

  // URLs with non-public literal hosts are refused before any network use (no request is made here).
  const guard = new OutboundFetch({ allowedPrivateRanges: [], timeoutMs: 1000, maxBodyBytes: 1024, maxRedirects: 3 });
  for (const url of ['https://10.0.0.1/', 'https://169.254.169.254/latest/meta-data/', 'https://[fe80::1]/', 'https://[::ffff:a9fe:a9fe]/', 'https://0/', 'https://user:pass@93.184.216.34/', 'file:///etc/passwd']) {
    assert.equal(guard.isAllowedUrl(url), false, url);
  }
  assert.equal(guard.isAllowedUrl('https://93.184.216.34/metadata'), true);
});

test('every outbound request in the server goes through shared/outbound-fetch.ts', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  // The CLI is a client of a Gatehouse server its user names, not a request the server makes.
  const allowedFiles = new Set(['shared/outbound-fetch.ts', 'app/cli/main.ts']);
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'testing') walk(path);
        continue;
      }
      const file = relative(root, path);
      if (!file.endsWith('.ts') || file.endsWith('.test.ts') || file.endsWith('.d.ts') || allowedFiles.has(file)) continue;
      const text = readFileSync(path, 'utf8');
      text.split('\n').forEach((line, index) => {
        if (line.startsWith('import type ')) return;
        // node:http(s) makes requests through request, get and Agent; its other names (STATUS_CODES,
        // createServer) do not, but a default or namespace import could reach them all.
        const nodeHttp = /from 'node:https?'/.test(line) && (!/^import \{[^}]*\} from/.test(line) || /\b(request|get|Agent|ClientRequest)\b/.test(line));
        if (nodeHttp || /(?<![.\w])fetch\s*\(|globalThis\.fetch|from 'undici'|require\('https?'\)/.test(line)) offenders.push(`${file}:${index + 1}: ${line.trim()}`);
      });
      // openid-client makes its own requests unless told to use ours.
      if (text.includes("from 'openid-client'") && !text.includes('[client.customFetch]')) offenders.push(`${file}: openid-client without customFetch`);
    }
  };
  walk(root);
  assert.deepEqual(offenders, []);
});
