// phpass portable hashes against published vectors: Openwall phpass's test.php and passlib's
// phpass_test (known_correct_hashes and known_malformed_hashes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { phpassCrypt, phpassVerify } from './phpass.ts';

const KNOWN: [string, string][] = [
  // Openwall phpass test.php
  ['test12345', '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0'],
  // passlib.tests.test_handlers.phpass_test.known_correct_hashes
  ['test1', '$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00'],
  ['123456', '$H$9PE8jEklgZhgLmZl5.HYJAzfGCQtzi1'],
  ['123456', '$H$9pdx7dbOW3Nnt32sikrjAxYFjX8XoK1'],
  ['thisisalongertestPW', '$P$912345678LIjjb6PhecupozNBmDndU0'],
  ['JohnRipper', '$P$612345678si5M0DDyPpmRCmcltU/YW/'],
  ['JohnRipper', '$H$712345678WhEyvy1YWzT4647jzeOmo0'],
  ['JohnRipper', '$P$B12345678L6Lpt4BxNotVIMILOa9u81'],
  ['', '$P$7JaFQsPzJSuenezefD/3jHgt5hVfNH0'],
  ['compL3X!', '$P$FiS0N5L672xzQx1rt1vgdJQRYKnQM9/'],
  ['t\u00e1\u0411\u2113\u0259', '$P$7SMy8VxnfsIy2Sxm7fJxDSdil.h7TW.'],
];

test('every published vector verifies, and recomputes to the same string', () => {
  for (const [password, hash] of KNOWN) {
    assert.equal(phpassVerify(password, hash), true, `${JSON.stringify(password)} ${hash}`);
    assert.equal(phpassCrypt(password, hash), hash);
  }
});

test('a different password does not verify', () => {
  for (const [password, hash] of KNOWN) {
    assert.equal(phpassVerify(`${password}x`, hash), false);
    assert.equal(phpassVerify(password.toUpperCase() === password ? `${password}!` : password.toUpperCase(), hash), false);
  }
});

test('malformed hashes never verify', () => {
  for (const hash of [
    '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r!L0', // passlib known_malformed_hashes
    '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L', // short
    '$X$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0', // prefix
    '$P$3IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0', // 2^5 rounds: below phpass's minimum of 2^7
    '',
  ]) {
    assert.equal(phpassVerify('test12345', hash), false, hash);
  }
});
