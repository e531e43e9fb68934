// RFC 6238 time-based one-time passwords through `otpauth` (HMAC-SHA1, 6 digits, 30-second steps —
// what authenticator apps and Stytch use), the otpauth:// URI and its QR code as a data: URL PNG.
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of now a code is still accepted (clock drift). */
export const TOTP_WINDOW = 1;

/** A new shared secret: 20 random bytes (160 bits, RFC 4226's recommendation), in base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpOf(base32Secret: string, issuer = '', label = ''): TOTP {
  return new TOTP({ issuer, label, secret: Secret.fromBase32(base32Secret), algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS });
}

/** The code for the secret at a time (the tests and the RFC vectors). */
export function totpCode(base32Secret: string, at: Date): string {
  return totpOf(base32Secret).generate({ timestamp: at.getTime() });
}

/**
 * The time step the code is right for, within TOTP_WINDOW steps of `at`; null when it is wrong.
 * otpauth compares in constant time.
 */
export function totpStep(base32Secret: string, code: string, at: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = totpOf(base32Secret);
  const delta = totp.validate({ token: code, timestamp: at.getTime(), window: TOTP_WINDOW });
  return delta === null ? null : totp.counter({ timestamp: at.getTime() }) + delta;
}

/** The otpauth:// URI an authenticator app scans, as a PNG QR code in a data: URL. */
export async function totpQrCode(base32Secret: string, issuer: string, label: string): Promise<string> {
  return QRCode.toDataURL(totpOf(base32Secret, issuer, label).toString(), { errorCorrectionLevel: 'M', type: 'image/png' });
}
