// SMS delivery (one-time passcodes). With GATEHOUSE_SMS_WEBHOOK_URL set, each message is POSTed as
// JSON to that URL through shared/outbound-fetch.ts, signed with GATEHOUSE_SMS_WEBHOOK_SECRET
// (shared/webhook-signature.ts): the receiver — the application's own bridge to Twilio, Vonage, … —
// verifies the signature and sends the text. Without it, messages are kept in the outbox beside the
// emails (channel "sms", addressed to the phone number) and announced in the log, so development and
// tests need nothing. A message the webhook does not accept (no 2xx answer) is sms_delivery_failed.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../shared/clock.ts';
import { formatTimestamp } from '../shared/clock.ts';
import type { SmsConfig } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { OutboundFetch } from '../shared/outbound-fetch.ts';
import { signWebhook } from '../shared/webhook-signature.ts';
import type { SqlExecutor } from '../store/database.ts';
import { keepInOutbox } from './mailer.ts';

export interface SmsMessage {
  projectId: string;
  /** E.164. */
  to: string;
  text: string;
}

/** The JSON body of a webhook delivery. */
export interface SmsWebhookPayload {
  type: 'sms';
  message_id: string;
  project_id: string;
  to: string;
  text: string;
  created_at: string;
}

export class SmsSender {
  readonly #options: { config: SmsConfig; db: SqlExecutor; clock: Clock; log: FastifyBaseLogger; outbound: OutboundFetch; production: boolean };

  constructor(options: { config: SmsConfig; db: SqlExecutor; clock: Clock; log: FastifyBaseLogger; outbound: OutboundFetch; production: boolean }) {
    this.#options = options;
  }

  get transport(): 'webhook' | 'outbox' {
    return this.#options.config.webhookUrl ? 'webhook' : 'outbox';
  }

  /** Sends the message (or keeps it in the outbox); sms_delivery_failed when the webhook does not take it. */
  async send(message: SmsMessage): Promise<void> {
    const { config, db, clock, log, production } = this.#options;
    if (!config.webhookUrl) {
      await keepInOutbox(db, clock, { ...message, channel: 'sms', from: '', kind: 'otp', subject: '', html: '', link: null });
      // Development reads the code from the log; production logs never carry it.
      log.info({ project_id: message.projectId, to: message.to, ...(production ? {} : { text: message.text }) }, 'SMS kept in the outbox (no SMS webhook configured)');
      return;
    }
    try {
      await this.#post(config.webhookUrl, config.webhookSecret!, message);
    } catch (error) {
      log.error({ err: error, project_id: message.projectId }, 'SMS delivery failed');
      throw new GatehouseError('sms_delivery_failed', { cause: error });
    }
  }

  async #post(url: string, secret: string, message: SmsMessage): Promise<void> {
    const { clock, outbound } = this.#options;
    const now = clock.now();
    const payload: SmsWebhookPayload = { type: 'sms', message_id: `sms-message-${randomUUID()}`, project_id: message.projectId, to: message.to, text: message.text, created_at: formatTimestamp(now) };
    const body = JSON.stringify(payload);
    // The signature's timestamp is the real time: the receiver compares it with its own clock.
    const response = await outbound.fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json', 'gatehouse-signature': signWebhook(secret, body, new Date()), 'gatehouse-message-id': payload.message_id },
      body,
    });
    if (response.status < 200 || response.status > 299) throw new Error(`the SMS webhook answered ${response.status}`);
  }
}

/** The text of a passcode SMS. */
export function composeCodeSms(input: { projectId: string; to: string; code: string; expiresInMinutes: number }): SmsMessage {
  return { projectId: input.projectId, to: input.to, text: `Your passcode is ${input.code}. It expires in ${input.expiresInMinutes} minutes. Do not share it.` };
}
