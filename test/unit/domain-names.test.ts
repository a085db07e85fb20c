import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_SCHEDULE_NAME_LENGTH, veleroNames } from '../../src/domain/names.ts';
import { isOwnedBy, ownerLabels, ownerOf } from '../../src/domain/owner-labels.ts';

const UID = '0b9f6d2e-8f1a-4c3b-9a7e-2d4c6b8a0e1f';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('Velero object names', () => {
  const owners: [string, { namespace: string; name: string; uid: string }][] = [
    ['short names', { namespace: 'shop', name: 'orders-db', uid: UID }],
    ['63-character namespace and name', { namespace: 'n'.repeat(63), name: 'm'.repeat(63), uid: UID }],
    ['dots and trailing dashes', { namespace: 'a-', name: 'db.example.com', uid: UID }],
    ['name made only of dots', { namespace: 'x', name: '...', uid: UID }],
  ];
  for (const [what, owner] of owners) {
    test(`${what}: within limits and valid`, () => {
      const names = veleroNames(owner);
      assert.ok(names.schedule.length <= MAX_SCHEDULE_NAME_LENGTH, names.schedule);
      // Velero names scheduled Backups <schedule>-YYYYMMDDhhmmss; every Backup name must fit a label value.
      assert.ok(`${names.schedule}-20250601020000`.length <= 63);
      const runNow = names.runNowBackup('t'.repeat(63));
      assert.ok(runNow.length <= 63, runNow);
      for (const name of [names.schedule, names.oneShotBackup, runNow]) assert.match(name, DNS_SUBDOMAIN);
    });
  }

  test('the same owner gets the same names every time (a restarted operator finds its objects)', () => {
    const a = veleroNames({ namespace: 'shop', name: 'orders-db', uid: UID });
    const b = veleroNames({ namespace: 'shop', name: 'orders-db', uid: UID });
    assert.equal(a.schedule, b.schedule);
    assert.equal(a.runNowBackup('token-1'), b.runNowBackup('token-1'));
  });

  test('names are readable and carry the prefix the operator fence checks', () => {
    assert.match(
      veleroNames({ namespace: 'shop', name: 'orders-db', uid: UID }).schedule,
      /^cbo-shop-orders-db-[0-9a-f]{12}$/,
    );
  });

  test('different namespaces, names, uids and tokens never share a name', () => {
    const names = [
      veleroNames({ namespace: 'a-b', name: 'c', uid: UID }).schedule,
      veleroNames({ namespace: 'a', name: 'b-c', uid: UID }).schedule,
      veleroNames({ namespace: 'a', name: 'b-c', uid: 'another-uid' }).schedule,
      veleroNames({ namespace: 'n'.repeat(63), name: 'm'.repeat(62) + 'x', uid: UID }).schedule,
      veleroNames({ namespace: 'n'.repeat(63), name: 'm'.repeat(62) + 'y', uid: UID }).schedule,
      veleroNames({ namespace: 'a', name: 'b-c', uid: UID }).runNowBackup('1'),
      veleroNames({ namespace: 'a', name: 'b-c', uid: UID }).runNowBackup('2'),
    ];
    assert.equal(new Set(names).size, names.length);
  });

  test('a run-now Backup name can never look like a scheduled one (<schedule>-<14 digits>)', () => {
    const owner = { namespace: 'shop', name: 'orders-db', uid: UID };
    assert.doesNotMatch(veleroNames(owner).runNowBackup('20250601020000'), /-\d{14}$/);
  });
});

describe('owner labels', () => {
  const owner = { namespace: 'shop', name: 'orders-db', uid: UID };
  test('round-trip', () => {
    assert.deepEqual(ownerOf({ metadata: { labels: ownerLabels(owner) } }), owner);
    assert.ok(isOwnedBy({ metadata: { labels: ownerLabels(owner) } }, owner));
  });
  const foreign: [string, Record<string, string> | undefined][] = [
    ['no labels', undefined],
    ['managed by someone else', { ...ownerLabels(owner), 'app.kubernetes.io/managed-by': 'helm' }],
    ['uid missing', { ...ownerLabels(owner), 'consistentbackup.io/uid': '' }],
  ];
  for (const [what, labels] of foreign) {
    test(`not ours: ${what}`, () =>
      assert.equal(ownerOf({ metadata: { ...(labels && { labels }) } }), undefined));
  }
  test('an earlier ConsistentBackup of the same name is another owner', () => {
    assert.ok(!isOwnedBy({ metadata: { labels: ownerLabels({ ...owner, uid: 'old' }) } }, owner));
  });
});
