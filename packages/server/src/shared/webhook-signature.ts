// Signatures of the webhooks Gatehouse sends (the SMS webhook, email/sms.ts), in the style of
// Stripe's and Svix's: the header
//
//   Gatehouse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
// A receiver recomputes the HMAC over the timestamp, a dot and the raw request body exactly as
// received (before any JSON parsing), compares it in constant time with each v1 value, and refuses
// a timestamp more than a few minutes from its own clock (replays). verifyWebhookSignature is that
// check, usable as the reference implementation.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'gatehouse-signature';

/** How far a signature's timestamp may be from the receiver's clock, by default. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const hmac = (secret: string, timestamp: number, body: string) => createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/** The Gatehouse-Signature header value for `body` sent at `at`. */
export function signWebhook(secret: string, body: string, at: Date): string {
  const timestamp = Math.floor(at.getTime() / 1000);
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

/** Whether `header` is a valid signature of `body` by `secret`, made within the tolerance of `now`. */
export function verifyWebhookSignature(secret: string, body: string, header: string | undefined, now = new Date(), toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS): boolean {
  if (!header) return false;
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isSafeInteger(timestamp) || Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  return parts.some(([key, value]) => {
    if (key !== 'v1' || !value || !/^[0-9a-f]{64}$/.test(value)) return false;
    return timingSafeEqual(Buffer.from(value, 'hex'), expected);
  });
}
