// Test support: a file's Gatehouse with mail — a real SMTP server on loopback and a server on a
// manual clock that sends to it, with rate limits off — started before the file's tests and closed
// after them. `project()` makes a B2B project and an official `stytch` B2B client for it.
import { after, before } from 'node:test';
import { startSmtpServer, type TestSmtpServer } from '../email/smtp-test-server.ts';
import { B2BProject } from './b2b.ts';
import { ManualClock, startTestServer, type TestServer } from './harness.ts';
import { b2bClient } from './stytch-clients.ts';

export interface MailServer {
  readonly clock: ManualClock;
  readonly smtp: TestSmtpServer;
  readonly server: TestServer;
  /** A new B2B project on `on` (this file's server unless given) and a `stytch` B2B client for it. */
  project(on?: TestServer): Promise<{ p: B2BProject; client: ReturnType<typeof b2bClient> }>;
}

export function useMailServer(): MailServer {
  const clock = new ManualClock();
  let smtp: TestSmtpServer | undefined;
  let server: TestServer | undefined;
  before(async () => {
    smtp = await startSmtpServer();
    server = await startTestServer({ clock, env: { GATEHOUSE_SMTP_URL: smtp.url, GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_RATE_LIMIT_IP: '0' } });
  });
  after(async () => {
    await server?.close();
    await smtp?.close();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the ${what} starts in before(): use it inside a test`);
    return value;
  };
  return {
    clock,
    get smtp() {
      return started(smtp, 'SMTP server');
    },
    get server() {
      return started(server, 'server');
    },
    async project(on?: TestServer) {
      const p = await B2BProject.create(on ?? started(server, 'server'));
      return { p, client: b2bClient(on ?? started(server, 'server'), p.credentials) };
    },
  };
}
