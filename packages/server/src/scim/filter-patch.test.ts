// SCIM filters and PATCH on resources, without a server: precedence, case rules, value paths, the
// index hint the store looks up by, and PATCH in the shapes IdPs send (RFC 7644 §3.4.2.2, §3.5.2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexHint, matches, parseFilter } from './filter.ts';
import { applyPatch } from './patch.ts';

const ada = {
  id: 'member-test-1', userName: 'Ada@Acme.com', externalId: 'AbC', active: true, name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ value: 'ada@acme.com', type: 'work', primary: true }, { value: 'ada@home.example', type: 'home' }],
  groups: [{ value: 'g1', display: 'Eng' }],
};

test('filters: comparison, case, precedence, value paths, not, pr', () => {
  const yes = (filter: string) => assert.equal(matches(ada, parseFilter(filter)), true, filter);
  const no = (filter: string) => assert.equal(matches(ada, parseFilter(filter)), false, filter);
  yes('userName eq "ada@acme.com"'); // userName is caseExact: false
  no('externalId eq "abc"'); // externalId is caseExact
  yes('externalId eq "AbC"');
  yes('USERNAME Eq "ADA@ACME.COM"');
  yes('name.givenName sw "A" and name.familyName co "love"');
  yes('emails[type eq "work"].value eq "ada@acme.com"');
  no('emails[type eq "home"].value eq "ada@acme.com"');
  yes('emails[type eq "home" and value ew ".example"]');
  yes('emails.value eq "ada@home.example"');
  yes('active eq true');
  no('active eq false');
  yes('groups eq "g1"');
  yes('title pr or userName pr');
  no('title pr');
  // and binds tighter than or.
  yes('userName eq "x" and active eq false or externalId eq "AbC"');
  no('userName eq "x" and (active eq false or externalId eq "AbC")');
  yes('not (userName eq "x")');
  for (const bad of ['userName eq', 'userName zz "x"', '(userName eq "x"', 'userName eq "x" junk', 'emails[type eq "work"', '"x" eq userName']) {
    assert.throws(() => parseFilter(bad), (error: { errorType?: string }) => error.errorType === 'scim_invalid_filter', bad);
  }
});

test('the index hint is an eq the whole filter needs', () => {
  const attributes = ['userName', 'externalId', 'id', 'emails.value'];
  assert.deepEqual(indexHint(parseFilter('userName eq "a"'), attributes), { attribute: 'userName', value: 'a' });
  assert.deepEqual(indexHint(parseFilter('active eq true and externalId eq "e"'), attributes), { attribute: 'externalId', value: 'e' });
  assert.deepEqual(indexHint(parseFilter('emails[type eq "work"].value eq "a@b.co"'), attributes), { attribute: 'emails.value', value: 'a@b.co' });
  // Under or, no single eq is needed: no hint.
  assert.equal(indexHint(parseFilter('userName eq "a" or userName eq "b"'), attributes), null);
  assert.equal(indexHint(parseFilter('userName co "a"'), attributes), null);
});

test('PATCH: Okta\'s path-less replace, Entra\'s paths, filters, strings for booleans, removal', () => {
  assert.equal(applyPatch(ada, [{ op: 'replace', value: { active: false } }]).active, false);
  assert.equal(applyPatch(ada, [{ op: 'Replace', path: 'active', value: 'False' }]).active, false);
  const entra = applyPatch(ada, [
    { op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@acme.com' },
    { op: 'Replace', path: 'name.familyName', value: 'Byron' },
    { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+12025550123' },
    { op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'R&D' },
  ]);
  assert.equal((entra.emails as { value: string }[])[0]!.value, 'new@acme.com');
  assert.equal((entra.emails as { value: string }[])[1]!.value, 'ada@home.example');
  assert.deepEqual(entra.name, { givenName: 'Ada', familyName: 'Byron' });
  assert.deepEqual(entra.phoneNumbers, [{ type: 'mobile', value: '+12025550123' }]);
  assert.deepEqual(entra['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'], { department: 'R&D' });
  // Path-less add with dotted keys (Entra) and nested objects.
  const added = applyPatch(ada, [{ op: 'add', value: { 'name.givenName': 'Augusta', title: 'Countess' } }]);
  assert.equal((added.name as { givenName: string }).givenName, 'Augusta');
  assert.equal(added.title, 'Countess');
  // remove by filter, and of a whole attribute; the input is not changed.
  const removed = applyPatch(ada, [{ op: 'remove', path: 'emails[type eq "home"]' }, { op: 'remove', path: 'name' }]);
  assert.deepEqual((removed.emails as { type: string }[]).map((e) => e.type), ['work']);
  assert.equal(removed.name, undefined);
  assert.equal(ada.emails.length, 2);
  for (const [op, path] of [['remove', undefined], ['move', 'title'], ['add', '__proto__.x'], ['add', 'constructor.prototype.x']] as const) {
    assert.throws(() => applyPatch(ada, [{ op, path, value: 1 }]), (error: { errorType?: string }) => error.errorType?.startsWith('scim_invalid') === true, `${op} ${path}`);
  }
  assert.equal(({} as Record<string, unknown>).x, undefined);
});
