// Email delivery. With GATEHOUSE_SMTP_URL set, messages go out over SMTP (nodemailer); without it
// they are kept in the outbox table and announced in the log, so development needs no mail server.
// Either way the caller hands over a finished message (see messages.ts) and learns whether it left.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { createTransport } from 'nodemailer';
import type { Clock } from '../clock.ts';
import type { EmailConfig } from '../config.ts';
import { GatehouseError } from '../errors.ts';
import type { SqlExecutor } from '../store/database.ts';

export type EmailKind = 'login' | 'signup' | 'invite' | 'reset_password';

export interface EmailMessage {
  projectId: string;
  to: string;
  kind: EmailKind;
  subject: string;
  text: string;
  html: string;
  /** The link the message carries (kept in the outbox for developers and tests). */
  link: string;
}

export interface OutboxEntry {
  message_id: string;
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

/** Sends (or keeps) messages. `send` reports failure; `sendInBackground` logs it. */
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
   * Delivers after the response has gone, so its timing says nothing about whether a message was
   * sent (password reset must not reveal which addresses have accounts). Failures are logged.
   */
  sendInBackground(message: EmailMessage): void {
    const delivery = this.send(message)
      .catch(() => {})
      .finally(() => this.#inFlight.delete(delivery));
    this.#inFlight.add(delivery);
  }

  /** Waits for background deliveries, then closes the SMTP connection. */
  async close(): Promise<void> {
    await Promise.all([...this.#inFlight]);
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

function outboxTransport(db: SqlExecutor, clock: Clock, from: string, log: FastifyBaseLogger, logLinks: boolean): Transport {
  return {
    name: 'outbox',
    async deliver(message) {
      const messageId = `email-message-${randomUUID()}`;
      await db.query(
        `INSERT INTO email_outbox (message_id, project_id, to_address, from_address, subject, text_body, html_body, kind, link, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [messageId, message.projectId, message.to, from, message.subject, message.text, message.html, message.kind, message.link, clock.now()],
      );
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

/** The project's outbox, newest first. */
export async function readOutbox(db: SqlExecutor, projectId: string, options: { to?: string; limit: number }): Promise<OutboxEntry[]> {
  const { rows } = await db.query<OutboxEntry>(
    `SELECT message_id, to_address AS "to", from_address AS "from", subject, text_body AS text, html_body AS html, kind, link, created_at
       FROM email_outbox
      WHERE project_id = $1 AND ($2::text IS NULL OR lower(to_address) = lower($2))
      ORDER BY position DESC
      LIMIT $3`,
    [projectId, options.to ?? null, options.limit],
  );
  return rows;
}
