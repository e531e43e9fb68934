// phpass "portable" hashes ($P$ from WordPress and phpass, $H$ from phpBB 3): the salt, then
// 2^n rounds of MD5 over (previous digest + password), encoded in phpass's own base64 alphabet.
// Written after Openwall's PasswordHash::crypt_private; tested against the published vectors of
// phpass and passlib (phpass.test.ts).
import { createHash, timingSafeEqual } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const PHPASS_HASH = /^\$[PH]\$[./0-9A-Za-z]{31}$/;
export const PHPASS_MIN_LOG2 = 7;
export const PHPASS_MAX_LOG2 = 30;

function encode64(input: Buffer): string {
  let output = '';
  let i = 0;
  while (i < input.length) {
    let value = input[i++]!;
    output += ITOA64[value & 0x3f];
    if (i < input.length) value |= input[i]! << 8;
    output += ITOA64[(value >> 6) & 0x3f];
    if (i++ >= input.length) break;
    if (i < input.length) value |= input[i]! << 16;
    output += ITOA64[(value >> 12) & 0x3f];
    if (i++ >= input.length) break;
    output += ITOA64[(value >> 18) & 0x3f];
  }
  return output;
}

/** The number of rounds a hash names as log2 (7 to 30), or -1 when its count character is invalid. */
export function phpassRoundsLog2(hash: string): number {
  const log2 = ITOA64.indexOf(hash[3] ?? '');
  return log2 >= PHPASS_MIN_LOG2 && log2 <= PHPASS_MAX_LOG2 ? log2 : -1;
}

/** Computes the hash of `password` with the salt and rounds of `setting` (an existing hash). */
export function phpassCrypt(password: string, setting: string): string | null {
  if (!PHPASS_HASH.test(setting)) return null;
  const log2 = phpassRoundsLog2(setting);
  if (log2 < 0) return null;
  const secret = Buffer.from(password, 'utf8');
  let digest = createHash('md5').update(setting.slice(4, 12), 'latin1').update(secret).digest();
  for (let round = 2 ** log2; round > 0; round--) digest = createHash('md5').update(digest).update(secret).digest();
  return setting.slice(0, 12) + encode64(digest);
}

export function phpassVerify(password: string, hash: string): boolean {
  const computed = phpassCrypt(password, hash);
  if (computed === null || computed.length !== hash.length) return false;
  return timingSafeEqual(Buffer.from(computed, 'latin1'), Buffer.from(hash, 'latin1'));
}
