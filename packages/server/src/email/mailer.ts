// Email delivery. With GATEHOUSE_SMTP_URL set, messages go out over SMTP (nodemailer); without it
// they are kept in the outbox table and announced in the log, so development needs no mail server.
// Either way the caller hands over a finished message (see messages.ts) and learns whether it left.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { createTransport } from 'nodemailer';
import type { Clock } from '../shared/clock.ts';
import type { EmailConfig } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { SqlExecutor } from '../store/database.ts';

export type EmailKind = 'login' | 'signup' | 'invite' | 'reset_password' | 'email_update' | 'otp';

export interface EmailMessage {
  projectId: string;
  to: string;
  kind: EmailKind;
  subject: string;
  text: string;
  html: string;
  /** The link the message carries (kept in the outbox for developers and tests); null for a passcode. */
  link: string | null;
}

/** What carried a message: the outbox keeps SMS (to a phone number, text only) beside emails. */
export type OutboxChannel = 'email' | 'sms';

export interface OutboxEntry {
  message_id: string;
  channel: OutboxChannel;
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  kind: EmailKind;
  link: string | null;
  created_at: Date;
}

interface Transport {
  readonly name: 'smtp' | 'outbox';
  deliver(message: EmailMessage): Promise<void>;
  close(): Promise<void>;
}

/** Sends (or keeps) messages. `send` reports failure; `inBackground` logs it. */
export class Mailer {
  readonly #transport: Transport;
  readonly #log: FastifyBaseLogger;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: { config: EmailConfig; db: SqlExecutor; clock: Clock; log: FastifyBaseLogger; production: boolean }) {
    this.#log = options.log;
    this.#transport = options.config.smtpUrl
      ? smtpTransport(options.config.smtpUrl, options.config.from)
      : outboxTransport(options.db, options.clock, options.config.from, options.log, !options.production);
  }

  get transport(): 'smtp' | 'outbox' {
    return this.#transport.name;
  }

  async send(message: EmailMessage): Promise<void> {
    try {
      await this.#transport.deliver(message);
    } catch (error) {
      this.#log.error({ err: error, kind: message.kind, project_id: message.projectId }, 'email delivery failed');
      throw new GatehouseError('email_delivery_failed', { cause: error });
    }
  }

  /**
   * Runs `work` (which prepares and sends a message) after the response has gone, so the response's
   * timing says nothing about whether a message was sent: password reset must not reveal which
   * addresses have accounts. Failures are logged.
   */
  inBackground(what: string, work: () => Promise<void>): void {
    const task = work()
      .catch((error: unknown) => {
        // send() has logged its own failures already.
        if (!(error instanceof GatehouseError && error.errorType === 'email_delivery_failed')) this.#log.error({ err: error }, `${what} failed`);
      })
      .finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
  }

  /** Resolves when every background delivery started so far has finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  /** Waits for background deliveries, then closes the SMTP connection. */
  async close(): Promise<void> {
    await this.idle();
    await this.#transport.close();
  }
}

function smtpTransport(url: string, from: string): Transport {
  // Connection limits short enough that a dead mail server fails a request rather than hanging it.
  const transporter = createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }, { from });
  return {
    name: 'smtp',
    async deliver(message) {
      await transporter.sendMail({ to: message.to, subject: message.subject, text: message.text, html: message.html });
    },
    async close() {
      transporter.close();
    },
  };
}

/** Messages the outbox keeps per project. */
export const OUTBOX_KEEP = 1000;

function outboxTransport(db: SqlExecutor, clock: Clock, from: string, log: FastifyBaseLogger, logLinks: boolean): Transport {
  return {
    name: 'outbox',
    async deliver(message) {
      await keepInOutbox(db, clock, { ...message, channel: 'email', from });
      // The point of the outbox is that a developer can follow the link from the log; production
      // logs never carry a live token.
      log.info(
        { project_id: message.projectId, to: message.to, kind: message.kind, ...(logLinks ? { link: message.link } : {}) },
        `email kept in the outbox (no SMTP configured): ${message.subject}`,
      );
    },
    async close() {},
  };
}

/** Keeps a message (an email, or an SMS: email/sms.ts) in the project's outbox instead of sending it. */
export async function keepInOutbox(db: SqlExecutor, clock: Clock, message: EmailMessage & { channel: OutboxChannel; from: string }): Promise<void> {
  const messageId = `${message.channel}-message-${randomUUID()}`;
  await db.query(
    `INSERT INTO email_outbox (message_id, project_id, channel, to_address, from_address, subject, text_body, html_body, kind, link, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [messageId, message.projectId, message.channel, message.to, message.from, message.subject, message.text, message.html, message.kind, message.link, clock.now()],
  );
  // A development convenience, not an archive: each project keeps its latest messages only.
  await db.query(
    `DELETE FROM email_outbox WHERE project_id = $1 AND position <= (
       SELECT position FROM email_outbox WHERE project_id = $1 ORDER BY position DESC OFFSET $2 LIMIT 1)`,
    [message.projectId, OUTBOX_KEEP],
  );
}

/** The project's outbox, newest first. */
export async function readOutbox(db: SqlExecutor, projectId: string, options: { to?: string; limit: number }): Promise<OutboxEntry[]> {
  const { rows } = await db.query<OutboxEntry>(
    `SELECT message_id, channel, to_address AS "to", from_address AS "from", subject, text_body AS text, html_body AS html, kind, link, created_at
       FROM email_outbox
      WHERE project_id = $1 AND ($2::text IS NULL OR lower(to_address) = lower($2))
      ORDER BY position DESC
      LIMIT $3`,
    [projectId, options.to ?? null, options.limit],
  );
  return rows;
}
