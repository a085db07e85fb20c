import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsistentBackupSpec } from '../../src/api/consistent-backup.ts';
import { smallestGapMs } from '../../src/domain/cron/gaps.ts';
import { parseCron } from '../../src/domain/cron/parse.ts';
import {
  keptByRetentionLock,
  limitProblems,
  limitsCondition,
  runNowWaitsUntil,
  type Limits,
} from '../../src/domain/limits.ts';
import { desiredVeleroObjects } from '../../src/domain/velero-objects.ts';
import { config, consistentBackup, hook, POLICY, veleroBackup } from './domain-fixtures.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('smallest gap between scheduled runs', () => {
  const table: [string, number][] = [
    ['@every 5m', 5 * MIN],
    ['@hourly', HOUR],
    ['* * * * *', MIN],
    ['*/5 * * * *', 5 * MIN],
    ['0,30 * * * *', 30 * MIN],
    ['0 2 * * *', 24 * HOUR],
    ['0 2,3 * * *', HOUR],
    ['0 23 * * *', 24 * HOUR],
    ['0 1,23 * * *', 2 * HOUR],
    ['0 2 * * 1', 7 * 24 * HOUR],
    ['0 2 * * 1,2', 24 * HOUR],
  ];
  for (const [expression, gap] of table) {
    test(expression, () => {
      const cron = parseCron(expression);
      assert.ok(!('error' in cron));
      assert.equal(smallestGapMs(cron), gap);
    });
  }
});

describe('limits a ConsistentBackup exceeds, each named', () => {
  const freeze = (budget: string) =>
    hook({ pre: undefined, preset: { name: 'mysql', freezeBudget: budget } });
  const table: [string, Partial<ConsistentBackupSpec>, Limits, string, RegExp][] = [
    // [case, spec, limits, reason, message]
    ['no policy', {}, 'missing', 'PolicyNotFound', /no ConsistentBackupPolicy "cluster"/],
    [
      'a storage location when none is allowed by name',
      { velero: { storageLocation: 'default' } },
      POLICY,
      'StorageLocationNotAllowed',
      /allows only Velero's default location \(unset\) \(spec.allowedStorageLocations\)/,
    ],
    [
      'a volume snapshot location not in the list',
      { velero: { volumeSnapshotLocations: ['csi', 'other'] } },
      { ...POLICY, allowedVolumeSnapshotLocations: ['csi'] },
      'VolumeSnapshotLocationNotAllowed',
      /only csi or Velero's defaults/,
    ],
    [
      'too many hooks',
      { hooks: [hook({ name: 'a' }), hook({ name: 'b' })] },
      { ...POLICY, maxHooks: 1 },
      'TooManyHooks',
      /2 hooks; .* at most 1 \(spec.maxHooks\)/,
    ],
    [
      'a freeze budget over the maximum',
      { hooks: [freeze('11m')] },
      POLICY,
      'FreezeBudgetTooLong',
      /11m; .* at most 10m \(spec.maxFreezeBudget\)/,
    ],
    [
      'a schedule more frequent than the minimum (not visible to admission)',
      { schedule: '0,30 * * * *' },
      POLICY,
      'ScheduleTooFrequent',
      /every 30m; .* at least 1h between scheduled runs \(spec.minScheduleInterval\)/,
    ],
    [
      'a ttl under the retention lock',
      { ttl: '24h' },
      { ...POLICY, minRetention: '168h' },
      'RetentionBelowLock',
      /at least 168h \(retention lock/,
    ],
  ];
  for (const [name, spec, limits, reason, message] of table) {
    test(name, () => {
      const problems = limitProblems(consistentBackup(spec), limits);
      assert.deepEqual(
        problems.map((p) => p.reason),
        [reason],
      );
      assert.match(problems[0]?.message ?? '', message);
      const condition = limitsCondition(problems, undefined, limits);
      assert.equal(condition?.status, 'False');
      assert.equal(condition?.reason, reason);
      assert.equal(desiredVeleroObjects(consistentBackup(spec), { ...config, limits }).ok, false);
    });
  }

  test('a protected namespace', () => {
    const cr = consistentBackup({}, { namespace: 'finance' });
    assert.deepEqual(
      limitProblems(cr, { ...POLICY, protectedNamespaces: ['finance'] }).map((p) => p.reason),
      ['ProtectedNamespace'],
    );
  });

  test('within the limits: True, and the same spec without limits known checks none', () => {
    const cr = consistentBackup({ schedule: '@hourly', hooks: [freeze('10m')], ttl: '168h' });
    assert.deepEqual(limitProblems(cr, POLICY), []);
    assert.equal(limitsCondition([], undefined, POLICY)?.status, 'True');
    assert.deepEqual(limitProblems(consistentBackup({ schedule: '* * * * *' }), undefined), []);
    assert.equal(limitsCondition([], undefined, undefined), undefined);
  });
});

describe('run-now backups wait for the minimum interval', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  const cr = (token: string) =>
    consistentBackup({ schedule: '@daily' }, { annotations: { 'consistentbackup.io/run-now': token } });
  const runNow = (token: string, created: string) =>
    veleroBackup(
      cr(token),
      `b-${token}`,
      { phase: 'Completed' },
      {
        created,
        labels: { 'consistentbackup.io/trigger': 'run-now' },
        annotations: { 'consistentbackup.io/run-token': token },
      },
    );

  test('the first token runs at once', () => {
    assert.equal(runNowWaitsUntil(cr('t1'), [], POLICY, now), undefined);
  });
  test('a second token 4 minutes after the first waits 6 more minutes; no Backup meanwhile', () => {
    const earlier = [runNow('t1', '2025-06-01T11:56:00Z')];
    const until = runNowWaitsUntil(cr('t2'), earlier, POLICY, now);
    assert.equal(until, Date.parse('2025-06-01T12:06:00Z'));
    const desired = desiredVeleroObjects(cr('t2'), { ...config, limits: POLICY }, undefined, until);
    assert.ok(desired.ok);
    assert.deepEqual(desired.backups, []);
    const condition = limitsCondition([], until, POLICY);
    assert.equal(condition?.reason, 'RunNowTooSoon');
    assert.match(
      condition?.message ?? '',
      /waits until 2025-06-01T12:06:00Z: .* per 10m \(spec.minRunNowInterval\)/,
    );
  });
  test('after the interval it runs', () => {
    const earlier = [runNow('t1', '2025-06-01T11:50:00Z')];
    assert.equal(runNowWaitsUntil(cr('t2'), earlier, POLICY, now), undefined);
  });
  test('a token whose Backup exists (just created) does not wait', () => {
    assert.equal(runNowWaitsUntil(cr('t1'), [runNow('t1', '2025-06-01T11:59:00Z')], POLICY, now), undefined);
  });
  test('scheduled backups do not count', () => {
    const scheduled = veleroBackup(
      cr('t2'),
      's-1',
      { phase: 'Completed' },
      { created: '2025-06-01T11:59:00Z' },
    );
    assert.equal(runNowWaitsUntil(cr('t2'), [scheduled], POLICY, now), undefined);
  });
});

describe('retention lock', () => {
  const now = Date.parse('2025-06-10T00:00:00Z');
  const backup = veleroBackup(
    consistentBackup(),
    'b',
    { phase: 'Completed' },
    { created: '2025-06-05T00:00:00Z' },
  );
  const table: [string, Limits | undefined, boolean][] = [
    ['no lock', POLICY, false],
    ['a 7-day lock keeps a 5-day-old backup', { ...POLICY, minRetention: '168h' }, true],
    ['a 4-day lock does not', { ...POLICY, minRetention: '96h' }, false],
    ['no policy: nothing may be deleted', 'missing', true],
    ['limits not known to the caller', undefined, false],
  ];
  for (const [name, limits, kept] of table) {
    test(name, () => assert.equal(keptByRetentionLock(backup, limits, now), kept));
  }
});
