// Test support: a real SMTP server on loopback (the smtp-server package) that requires a login,
// parses what it receives (mailparser) and lets a test wait for the next message to an address.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** Envelope recipients. */
  to: string[];
  /** Envelope sender. */
  mailFrom: string;
  from: string;
  subject: string;
  text: string;
  html: string;
}

export interface TestSmtpServer {
  /** smtp://user:password@127.0.0.1:port — what GATEHOUSE_SMTP_URL takes. */
  url: string;
  received: ReceivedMail[];
  /** Resolves with the first message to `address` not yet taken by an earlier call. */
  nextMailTo(address: string, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

const USER = 'gatehouse';
const PASSWORD = 'smtp-test-password';

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS to negotiate, but AUTH still required.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: USER });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          received.push({
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            from: parsed.from?.text ?? '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
          });
          for (const wake of waiters) wake();
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://${USER}:${PASSWORD}@127.0.0.1:${port}`,
    received,
    nextMailTo(address, timeoutMs = 10_000) {
      const find = () => received.find((mail) => !taken.has(mail) && mail.to.some((to) => to.toLowerCase() === address.toLowerCase()));
      return new Promise<ReceivedMail>((resolve, reject) => {
        const settle = (): boolean => {
          const mail = find();
          if (!mail) return false;
          taken.add(mail);
          waiters.delete(settle);
          clearTimeout(timer);
          resolve(mail);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(settle);
          reject(new Error(`no mail to ${address} within ${timeoutMs} ms (received: ${received.map((m) => m.to.join(',')).join('; ')})`));
        }, timeoutMs);
        if (!settle()) waiters.add(settle);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The token of the Stytch-style link in a message: `…?stytch_token_type=…&token=…`. */
export function linkInMail(mail: Pick<ReceivedMail, 'text'>): URL {
  const match = /\b(?:https?|[a-z][a-z0-9+.-]*):\/\/\S+token=\S+/i.exec(mail.text);
  if (!match) throw new Error(`no link in the message: ${mail.text}`);
  return new URL(match[0]);
}

/** The link of a Stytch token type in a message, and its token (256 bits, base64url). */
export function tokenInMail(mail: Pick<ReceivedMail, 'text'>, tokenType: 'magic_links' | 'multi_tenant_magic_links' | 'discovery' | 'reset_password' | 'multi_tenant_passwords'): { link: URL; token: string } {
  const link = linkInMail(mail);
  const token = link.searchParams.get('token');
  if (link.searchParams.get('stytch_token_type') !== tokenType || !token || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
    throw new Error(`expected a ${tokenType} link with a 256-bit token, got ${link}`);
  }
  return { link, token };
}

/** Waits for the next message to `email` and returns its token of `tokenType`, the link and the mail. */
export async function nextTokenTo(smtp: TestSmtpServer, email: string, tokenType: 'magic_links' | 'multi_tenant_magic_links' | 'discovery' | 'reset_password' | 'multi_tenant_passwords') {
  const mail = await smtp.nextMailTo(email);
  return { ...tokenInMail(mail, tokenType), mail };
}

let addresses = 0;
/** A fresh address per test, so messages never cross between tests. */
export function uniqueAddress(name: string): string {
  return `${name}.${++addresses}.${randomBytes(3).toString('hex')}@example.com`;
}
