// RFC 6238 Appendix B's test vectors through otpauth (8 digits, SHA1/SHA256/SHA512 seeds), and the
// 6-digit codes Gatehouse accepts: the step they prove, the window, and wrong input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { newTotpSecret, totpCode, totpQrCode, totpStep } from './totp.ts';

const SEEDS = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
} as const;

const VECTORS: [number, string, keyof typeof SEEDS][] = [
  [59, '94287082', 'SHA1'], [59, '46119246', 'SHA256'], [59, '90693936', 'SHA512'],
  [1111111109, '07081804', 'SHA1'], [1111111109, '68084774', 'SHA256'], [1111111109, '25091201', 'SHA512'],
  [1111111111, '14050471', 'SHA1'], [1111111111, '67062674', 'SHA256'], [1111111111, '99943326', 'SHA512'],
  [1234567890, '89005924', 'SHA1'], [1234567890, '91819424', 'SHA256'], [1234567890, '93441116', 'SHA512'],
  [2000000000, '69279037', 'SHA1'], [2000000000, '90698825', 'SHA256'], [2000000000, '38618901', 'SHA512'],
  [20000000000, '65353130', 'SHA1'], [20000000000, '77737706', 'SHA256'], [20000000000, '47863826', 'SHA512'],
];

test('RFC 6238 Appendix B test vectors', () => {
  for (const [seconds, expected, algorithm] of VECTORS) {
    const totp = new TOTP({ secret: Secret.fromLatin1(SEEDS[algorithm]), algorithm, digits: 8, period: 30 });
    assert.equal(totp.generate({ timestamp: seconds * 1000 }), expected, `${algorithm} at ${seconds}`);
  }
});

test('the 6-digit SHA1 code of the RFC seed is the last 6 digits of the 8-digit vector', () => {
  const base32 = Secret.fromLatin1(SEEDS.SHA1).base32;
  for (const [seconds, expected, algorithm] of VECTORS.filter((v) => v[2] === 'SHA1')) {
    assert.equal(totpCode(base32, new Date(seconds * 1000)), expected.slice(2), `${algorithm} at ${seconds}`);
  }
});

test('a code proves its step within one step either side; others and malformed codes do not', () => {
  const secret = newTotpSecret();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const at = new Date(1_700_000_000_000);
  const step = Math.floor(at.getTime() / 30_000);
  assert.equal(totpStep(secret, totpCode(secret, at), at), step);
  assert.equal(totpStep(secret, totpCode(secret, new Date(at.getTime() - 30_000)), at), step - 1);
  assert.equal(totpStep(secret, totpCode(secret, new Date(at.getTime() + 30_000)), at), step + 1);
  assert.equal(totpStep(secret, totpCode(secret, new Date(at.getTime() - 90_000)), at), null);
  for (const bad of ['', '12345', '1234567', 'abcdef', ' 12345']) assert.equal(totpStep(secret, bad, at), null);
});

test('the QR code is a PNG data URL', async () => {
  const url = await totpQrCode(newTotpSecret(), 'Gatehouse', 'ada@example.com');
  assert.match(url, /^data:image\/png;base64,[A-Za-z0-9+/=]+$/);
});
