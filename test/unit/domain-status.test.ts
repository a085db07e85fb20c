import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type {
  BackupEvidence,
  ConsistentBackup,
  ConsistentBackupStatus,
} from '../../src/api/consistent-backup.ts';
import type { BackupStorageLocation, VeleroBackup, VeleroSchedule } from '../../src/api/velero.ts';
import { findCondition } from '../../src/domain/conditions.ts';
import { computeStatus, MAX_REQUEUE_MS, type StatusInputs } from '../../src/domain/status.ts';
import { config, consistentBackup, CREATED, evidence, hook, veleroBackup } from './domain-fixtures.ts';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
/** Velero's records of these backups, read: hook db ran once in each, as its status counts. */
const read = (...names: string[]) => new Map(names.map((n) => [n, evidence([['db', 1, 1]])]));

function status(inputs: Partial<StatusInputs> & { cr: ConsistentBackup }): {
  status: ConsistentBackupStatus;
  requeueAfterMs?: number;
} {
  return computeStatus({ config, backups: [], now: at('2025-06-01T12:00:00Z'), ...inputs });
}

function condition(s: ConsistentBackupStatus, type: string) {
  const c = findCondition(s.conditions, type);
  assert.ok(c, `condition ${type} in ${JSON.stringify(s.conditions)}`);
  return c;
}

function schedule(
  phase: NonNullable<VeleroSchedule['status']>['phase'],
  extra: Partial<NonNullable<VeleroSchedule['status']>> = {},
): VeleroSchedule {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Schedule',
    metadata: { name: 's', namespace: 'velero', creationTimestamp: CREATED },
    spec: { schedule: 'CRON_TZ=UTC 0 2 * * *', template: {} },
    status: { phase, ...extra },
  };
}

describe('single backup: every Velero phase -> phase, Ready, grade', () => {
  const cr = consistentBackup({ hooks: [hook()] });
  const table: [string | undefined, string, 'True' | 'False' | 'Unknown', string, string | undefined][] = [
    // [Velero phase, ConsistentBackup phase, Ready, Ready reason, consistency]
    [undefined, 'Queued', 'False', 'BackupQueued', undefined],
    ['New', 'Queued', 'False', 'BackupQueued', undefined],
    ['Queued', 'Queued', 'False', 'BackupQueued', undefined],
    ['ReadyToStart', 'Queued', 'False', 'BackupQueued', undefined],
    ['InProgress', 'Running', 'False', 'BackupInProgress', undefined],
    ['WaitingForPluginOperations', 'Running', 'False', 'BackupInProgress', undefined],
    ['WaitingForPluginOperationsPartiallyFailed', 'Running', 'False', 'BackupInProgress', undefined],
    ['Finalizing', 'Running', 'False', 'BackupInProgress', undefined],
    ['FinalizingPartiallyFailed', 'Running', 'False', 'BackupInProgress', undefined],
    ['Completed', 'Completed', 'True', 'BackupCompleted', 'AppConsistent'],
    ['PartiallyFailed', 'Failed', 'False', 'BackupInconsistent', 'Inconsistent'],
    ['Failed', 'Failed', 'False', 'BackupInconsistent', 'Inconsistent'],
    ['FailedValidation', 'Failed', 'False', 'BackupInconsistent', 'Inconsistent'],
    ['Deleting', 'Pending', 'False', 'BackupDeleting', undefined],
    ['FromTheFuture', 'Pending', 'Unknown', 'UnknownBackupPhase', undefined],
  ];
  for (const [phase, crPhase, ready, reason, consistency] of table) {
    test(`${JSON.stringify(phase)} -> ${crPhase}`, () => {
      const backup = veleroBackup(cr, 'one', {
        ...(phase !== undefined && { phase }),
        ...(phase === 'Completed' && {
          startTimestamp: '2025-06-01T10:00:00Z',
          hookStatus: { hooksAttempted: 1, hooksFailed: 0 },
        }),
        ...(phase === 'PartiallyFailed' && { hookStatus: { hooksAttempted: 1, hooksFailed: 1 }, errors: 1 }),
      });
      const s = status({ cr, backups: [backup], evidence: read('one') }).status;
      assert.equal(s.phase, crPhase);
      assert.equal(condition(s, 'Ready').status, ready);
      assert.equal(condition(s, 'Ready').reason, reason);
      assert.equal(s.lastBackup?.name, 'one');
      assert.equal(s.lastBackup?.phase, phase || 'New');
      assert.equal(s.lastBackup?.consistency, consistency);
      assert.ok(s.lastBackup?.message, 'lastBackup explains itself');
    });
  }

  const completed = veleroBackup(cr, 'one', {
    phase: 'Completed',
    startTimestamp: '2025-06-01T10:00:00Z',
    hookStatus: { hooksAttempted: 1 },
  });
  const waiting: [string, ReadonlyMap<string, BackupEvidence> | undefined, string, string, RegExp][] = [
    // [case, records, phase, Ready reason, Ready message]
    [
      'not read yet',
      undefined,
      'Running',
      'VerifyingBackup',
      /^backup one: Completed; reading Velero's log, results and resource list/,
    ],
    [
      'unreadable',
      new Map([['one', { unavailable: 'BackupStorageLocation default is unavailable' }]]),
      'Pending',
      'BackupUnverified',
      /^backup one: Completed, but Velero's records of it could not be read.*default is unavailable$/,
    ],
  ];
  for (const [what, records, phase, reason, message] of waiting) {
    test(`Completed, records ${what}: ${phase}, not Completed yet, Ready Unknown`, () => {
      const s = status({ cr, backups: [completed], ...(records && { evidence: records }) }).status;
      assert.equal(s.phase, phase);
      assert.equal(condition(s, 'Ready').status, 'Unknown');
      assert.equal(condition(s, 'Ready').reason, reason);
      assert.match(condition(s, 'Ready').message, message);
      assert.equal(s.lastConsistentBackup, undefined);
    });
  }

  test('a hook failure: the messages say PartiallyFailed, not Failed', () => {
    const backup = veleroBackup(cr, 'one', {
      phase: 'PartiallyFailed',
      errors: 1,
      hookStatus: { hooksAttempted: 1, hooksFailed: 1 },
    });
    const s = status({ cr, backups: [backup] }).status;
    const c = condition(s, 'LastBackupConsistent');
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'HooksFailed');
    assert.match(c.message, /PartiallyFailed.*never as Failed/);
  });

  test('no backup yet', () => {
    const s = status({ cr }).status;
    assert.equal(s.phase, 'Pending');
    assert.equal(condition(s, 'Ready').reason, 'WaitingForVelero');
    assert.equal(condition(s, 'LastBackupConsistent').status, 'Unknown');
  });

  test('suspended before the backup was taken', () => {
    const s = status({ cr: consistentBackup({ suspend: true }) }).status;
    assert.equal(s.phase, 'Suspended');
    assert.equal(condition(s, 'Ready').reason, 'Suspended');
  });

  test('the one-shot Backup is remembered, also after Velero expired it', () => {
    const backup = veleroBackup(
      cr,
      'one',
      { phase: 'Completed', startTimestamp: '2025-06-01T10:00:00Z', hookStatus: { hooksAttempted: 1 } },
      { labels: { 'consistentbackup.io/trigger': 'one-shot' } },
    );
    const first = status({ cr, backups: [backup], evidence: read('one') }).status;
    assert.equal(first.backupName, 'one');
    assert.equal(first.lastConsistentBackup?.name, 'one');
    const later = status({ cr: { ...cr, status: first }, backups: [] }).status;
    assert.equal(later.backupName, 'one');
    assert.equal(later.lastBackup?.name, 'one');
    assert.equal(later.history?.[0]?.name, 'one');
    // Gone from Velero: no longer a recovery point.
    assert.equal(later.lastConsistentBackup, undefined);
  });
});

describe('scheduled: the Velero Schedule decides Ready', () => {
  const cr = consistentBackup({ schedule: '0 2 * * *', hooks: [hook()] });
  const table: [
    string,
    VeleroSchedule | undefined,
    Partial<ConsistentBackup['spec']>,
    string,
    'True' | 'False',
    string,
  ][] = [
    ['not created yet', undefined, {}, 'Pending', 'False', 'WaitingForVelero'],
    ['not validated by Velero yet', schedule('New'), {}, 'Pending', 'False', 'WaitingForVelero'],
    ['enabled', schedule('Enabled'), {}, 'Scheduled', 'True', 'ScheduleEnabled'],
    [
      'rejected by Velero',
      schedule('FailedValidation', { validationErrors: ['invalid schedule'] }),
      {},
      'Failed',
      'False',
      'ScheduleFailedValidation',
    ],
    ['suspended', schedule('Enabled'), { suspend: true }, 'Suspended', 'False', 'Suspended'],
  ];
  for (const [what, sched, spec, phase, ready, reason] of table) {
    test(what, () => {
      const s = status({
        cr: { ...cr, spec: { ...cr.spec, ...spec } },
        ...(sched && { schedule: sched }),
      }).status;
      assert.equal(s.phase, phase);
      assert.equal(condition(s, 'Ready').status, ready);
      assert.equal(condition(s, 'Ready').reason, reason);
      assert.ok(s.scheduleName?.startsWith('cbo-shop-orders-db-'));
    });
  }

  test('a running backup shows Running, the last finished one keeps its grade condition', () => {
    const done = veleroBackup(cr, 's-20250601020000', {
      phase: 'Completed',
      startTimestamp: '2025-06-01T02:00:03Z',
      hookStatus: { hooksAttempted: 1 },
    });
    const running = veleroBackup(cr, 's-20250602020000', {
      phase: 'InProgress',
      startTimestamp: '2025-06-02T02:00:02Z',
    });
    const s = computeStatus({
      cr,
      config,
      schedule: schedule('Enabled'),
      backups: [running, done],
      evidence: read('s-20250601020000'),
      now: at('2025-06-02T02:01:00Z'),
    }).status;
    assert.equal(s.phase, 'Running');
    assert.equal(s.lastBackup?.name, 's-20250602020000');
    assert.equal(s.lastBackup?.consistency, undefined);
    assert.equal(condition(s, 'LastBackupConsistent').reason, 'AppConsistent');
    assert.equal(s.lastConsistentBackup?.name, 's-20250601020000');
  });

  test('next run time, and a requeue for it', () => {
    const result = status({ cr, schedule: schedule('Enabled'), now: at('2025-06-01T20:00:00Z') });
    assert.equal(result.status.nextBackupTime, '2025-06-02T02:00:00Z');
    assert.equal(result.requeueAfterMs, 6 * H);
  });

  test('no next run while suspended', () => {
    const result = status({
      cr: consistentBackup({ schedule: '0 2 * * *', suspend: true }),
      schedule: schedule('Enabled'),
    });
    assert.equal(result.status.nextBackupTime, undefined);
  });

  test("@every counts from the Schedule's last Backup, as Velero does", () => {
    const every = consistentBackup({ schedule: '@every 6h' });
    const result = status({
      cr: every,
      schedule: schedule('Enabled', { lastBackup: '2025-06-01T09:30:00Z' }),
      now: at('2025-06-01T12:00:00Z'),
    });
    assert.equal(result.status.nextBackupTime, '2025-06-01T15:30:00Z');
  });
});

describe('RPO', () => {
  const cr = consistentBackup({ schedule: '0 2 * * *', rpo: '25h', hooks: [hook()] });
  const done = (
    name: string,
    start: string,
    completion: string,
    hookStatus = { hooksAttempted: 1, hooksFailed: 0 },
    phase = 'Completed',
  ) => veleroBackup(cr, name, { phase, startTimestamp: start, completionTimestamp: completion, hookStatus });

  test('recovery point is the start of the newest consistent backup, never its completion', () => {
    const backups = [
      done('b1', '2025-06-01T02:00:05Z', '2025-06-01T02:10:00Z'),
      // Data mover upload finished hours later.
      done('b2', '2025-06-02T02:00:04Z', '2025-06-02T09:00:00Z'),
      // Newer, but a hook failed: no recovery point.
      done(
        'b3',
        '2025-06-03T02:00:04Z',
        '2025-06-03T02:05:00Z',
        { hooksAttempted: 1, hooksFailed: 1 },
        'PartiallyFailed',
      ),
    ];
    const result = computeStatus({
      cr,
      config,
      schedule: schedule('Enabled'),
      backups,
      evidence: read('b1', 'b2', 'b3'),
      now: at('2025-06-03T03:00:00Z'),
    });
    const s = result.status;
    assert.deepEqual(s.lastConsistentBackup, {
      name: 'b2',
      startTimestamp: '2025-06-02T02:00:04Z',
      consistency: 'AppConsistent',
    });
    assert.deepEqual(s.rpo, {
      target: '25h',
      recoveryPoint: '2025-06-02T02:00:04Z',
      deadline: '2025-06-03T03:00:04Z',
      met: true,
    });
    assert.equal(condition(s, 'RPOMet').status, 'True');
    assert.equal(result.requeueAfterMs, 4000);
    assert.equal(s.lastBackup?.consistency, 'Inconsistent');
  });

  test('RPOMet flips exactly at the deadline', () => {
    const backups = [done('b2', '2025-06-02T02:00:04Z', '2025-06-02T02:10:00Z')];
    const evidence = read('b2');
    const before = computeStatus({ cr, config, backups, evidence, now: at('2025-06-03T03:00:03.999Z') });
    const atDeadline = computeStatus({ cr, config, backups, evidence, now: at('2025-06-03T03:00:04Z') });
    assert.equal(before.status.rpo?.met, true);
    assert.equal(before.requeueAfterMs, 1);
    assert.equal(atDeadline.status.rpo?.met, false);
    assert.equal(condition(atDeadline.status, 'RPOMet').reason, 'RPOBreached');
  });

  test('before the first consistent backup the clock runs from creation', () => {
    const s = status({ cr, now: at('2025-06-02T01:00:00Z') }).status;
    assert.equal(s.rpo?.deadline, '2025-06-02T01:00:00Z');
    assert.equal(s.rpo?.met, false);
    assert.equal(s.rpo?.recoveryPoint, undefined);
  });

  test('a schedule too sparse for the rpo', () => {
    const weekly = consistentBackup({ schedule: '0 0 * * 0', rpo: '24h' });
    const c = condition(status({ cr: weekly }).status, 'RPOAchievable');
    assert.equal(c.status, 'False');
    assert.match(c.message, /^schedule leaves gaps of up to 7d .*rpo is 24h/);
  });

  test('without spec.rpo there are no RPO fields or conditions, and stale ones go', () => {
    const first = status({ cr }).status;
    const withoutRpo = consistentBackup({ schedule: '0 2 * * *' }, {}, first);
    const s = status({ cr: withoutRpo }).status;
    assert.equal(s.rpo, undefined);
    assert.equal(findCondition(s.conditions, 'RPOMet'), undefined);
    assert.equal(findCondition(s.conditions, 'RPOAchievable'), undefined);
  });

  test('requeue is capped so timers never overflow', () => {
    const yearly = consistentBackup({ schedule: '0 0 1 1 *' });
    assert.equal(status({ cr: yearly }).requeueAfterMs, MAX_REQUEUE_MS);
  });
});

describe('RPO with spec.rpoCounts: only backups a RestoreDrill verified count', () => {
  const done = (cr: ConsistentBackup, name: string, start: string, hooksFailed = 0) =>
    veleroBackup(cr, name, {
      phase: hooksFailed > 0 ? 'PartiallyFailed' : 'Completed',
      startTimestamp: start,
      completionTimestamp: start,
      hookStatus: { hooksAttempted: 1, hooksFailed },
    });
  const other = consistentBackup({}, { name: 'other', uid: '6f1c2e2a-0000-4000-8000-000000000002' });
  const table: [
    string,
    'Consistent' | 'Verified' | undefined,
    string[],
    string | undefined,
    boolean,
    RegExp,
  ][] = [
    // [case, rpoCounts, verified backups, rpo.recoveryPoint, met, RPOMet message]
    [
      'unset: every consistent backup counts',
      undefined,
      ['b1'],
      '2025-06-02T02:00:00Z',
      true,
      /^the newest consistent backup b2 .* holds until [^(]*$/,
    ],
    [
      'Consistent: verification is ignored',
      'Consistent',
      [],
      '2025-06-02T02:00:00Z',
      true,
      /^the newest consistent backup b2 /,
    ],
    [
      'Verified, nothing verified: the clock runs from creation',
      'Verified',
      [],
      undefined,
      false,
      /^no verified backup since the ConsistentBackup was created .* breached at 2025-06-02T01:00:00Z \(spec.rpoCounts Verified: the rpo counts only backups a RestoreDrill restored and checked\)$/,
    ],
    [
      'Verified: an older verified backup is the point',
      'Verified',
      ['b1'],
      '2025-06-01T02:00:00Z',
      false,
      /^the newest verified backup b1 started at 2025-06-01T02:00:00Z; .* breached .*counts only backups a RestoreDrill restored/,
    ],
    [
      'Verified: the newest verified one',
      'Verified',
      ['b1', 'b2'],
      '2025-06-02T02:00:00Z',
      true,
      /^the newest verified backup b2 .* holds until .*counts only backups a RestoreDrill restored/,
    ],
    [
      'Verified: a restored inconsistent backup is no point',
      'Verified',
      ['b3'],
      undefined,
      false,
      /^no verified backup/,
    ],
    [
      'Verified: a backup no longer kept is no point',
      'Verified',
      ['expired'],
      undefined,
      false,
      /^no verified backup/,
    ],
    [
      "Verified: another ConsistentBackup's backup is no point",
      'Verified',
      ['x1'],
      undefined,
      false,
      /^no verified backup/,
    ],
  ];
  for (const [name, rpoCounts, verifiedPoints, recoveryPoint, met, message] of table) {
    test(name, () => {
      const cr = consistentBackup({
        schedule: '0 2 * * *',
        rpo: '25h',
        hooks: [hook()],
        ...(rpoCounts && { rpoCounts }),
      });
      const backups = [
        done(cr, 'b1', '2025-06-01T02:00:00Z'),
        done(cr, 'b2', '2025-06-02T02:00:00Z'),
        done(cr, 'b3', '2025-06-03T02:00:00Z', 1),
        done(other, 'x1', '2025-06-03T02:30:00Z'),
      ];
      const s = status({
        cr,
        backups,
        evidence: read('b1', 'b2', 'b3', 'x1'),
        verifiedPoints,
        now: at('2025-06-03T02:40:00Z'),
      }).status;
      // The newest consistent backup stays what it is; only the RPO's recovery point changes.
      assert.equal(s.lastConsistentBackup?.name, 'b2');
      assert.equal(s.rpo?.recoveryPoint, recoveryPoint);
      assert.equal(s.rpo?.met, met);
      assert.match(condition(s, 'RPOMet').message, message);
    });
  }
});

describe('bookkeeping', () => {
  test('same inputs, same status: nothing to write, transition times kept', () => {
    const cr = consistentBackup({ schedule: '0 2 * * *', rpo: '25h' });
    const first = status({ cr, schedule: schedule('Enabled'), now: at('2025-06-01T12:00:00Z') }).status;
    const again = status({
      cr: { ...cr, status: first },
      schedule: schedule('Enabled'),
      now: at('2025-06-01T12:30:00Z'),
    }).status;
    assert.deepEqual(again, first);
    const flipped = status({ cr: { ...cr, status: first }, now: at('2025-06-01T13:00:00Z') }).status;
    assert.equal(condition(flipped, 'Ready').status, 'False');
    assert.equal(condition(flipped, 'Ready').lastTransitionTime, '2025-06-01T13:00:00Z');
    assert.equal(
      condition(flipped, 'RPOAchievable').lastTransitionTime,
      condition(first, 'RPOAchievable').lastTransitionTime,
    );
  });

  test('observedGeneration on status and conditions', () => {
    const s = status({ cr: consistentBackup() }).status;
    assert.equal(s.observedGeneration, 3);
    assert.ok(s.conditions?.every((c) => c.observedGeneration === 3));
  });

  test('an invalid spec', () => {
    const s = status({ cr: consistentBackup({ schedule: '0 0 31 2 *', rpo: '25h' }) }).status;
    assert.equal(s.phase, 'Invalid');
    assert.equal(condition(s, 'Ready').reason, 'InvalidSchedule');
    assert.match(condition(s, 'Ready').message, /^spec.schedule: the schedule matches no day/);
    assert.equal(condition(s, 'RPOAchievable').status, 'Unknown');
    assert.equal(s.scheduleName, undefined);
    assert.equal(s.nextBackupTime, undefined);
  });

  test('run-now tokens seen on Backups are recorded, so they never run again', () => {
    const cr = consistentBackup(
      { schedule: '0 2 * * *' },
      { annotations: { 'consistentbackup.io/run-now': 't2' } },
      { processedRunTokens: ['t0'] },
    );
    const backups = ['t1', 't2'].map((token, i) =>
      veleroBackup(
        cr,
        `r${i}`,
        { phase: 'New' },
        { created: `2025-06-01T0${i}:00:00Z`, annotations: { 'consistentbackup.io/run-token': token } },
      ),
    );
    assert.deepEqual(status({ cr, backups }).status.processedRunTokens, ['t0', 't1', 't2']);
  });

  test('history: newest first, at most 10, remembers Backups Velero no longer has', () => {
    const cr = consistentBackup(
      { schedule: '0 2 * * *' },
      {},
      { history: [{ name: 'gone', phase: 'Completed', creationTimestamp: '2025-05-01T00:00:00Z' }] },
    );
    const backups = Array.from({ length: 12 }, (_, i) =>
      veleroBackup(
        cr,
        `b${String(i).padStart(2, '0')}`,
        { phase: 'Completed' },
        { created: `2025-06-${String(i + 1).padStart(2, '0')}T02:00:00Z` },
      ),
    );
    const history = status({ cr, backups }).status.history ?? [];
    assert.equal(history.length, 10);
    assert.equal(history[0]?.name, 'b11');
    assert.equal(history[9]?.name, 'b02');
    const few = status({ cr, backups: backups.slice(0, 2) }).status.history ?? [];
    assert.deepEqual(
      few.map((h) => h.name),
      ['b01', 'b00', 'gone'],
    );
  });

  test('Backups of other owners are ignored', () => {
    const cr = consistentBackup();
    const other = consistentBackup({}, { namespace: 'other', uid: 'other-uid' });
    const s = status({ cr, backups: [veleroBackup(other, 'theirs', { phase: 'Completed' })] }).status;
    assert.equal(s.lastBackup, undefined);
    assert.equal(s.history, undefined);
  });
});

describe('StorageAvailable', () => {
  const bsl = (
    name: string,
    phase: 'Available' | 'Unavailable' | undefined,
    extra: Partial<BackupStorageLocation['spec']> = {},
  ): BackupStorageLocation => ({
    apiVersion: 'velero.io/v1',
    kind: 'BackupStorageLocation',
    metadata: { name, namespace: 'velero' },
    spec: { provider: 'aws', objectStorage: { bucket: 'b' }, ...extra },
    ...(phase && { status: { phase, message: phase === 'Unavailable' ? 'bucket not found' : '' } }),
  });
  const table: [string, string | undefined, BackupStorageLocation[], 'True' | 'False' | 'Unknown', string][] =
    [
      [
        'default location available',
        undefined,
        [bsl('default', 'Available', { default: true })],
        'True',
        'StorageLocationAvailable',
      ],
      ['no default location', undefined, [bsl('primary', 'Available')], 'False', 'NoDefaultStorageLocation'],
      [
        'named location missing',
        'primary',
        [bsl('default', 'Available', { default: true })],
        'False',
        'StorageLocationNotFound',
      ],
      [
        'named location unavailable',
        'primary',
        [bsl('primary', 'Unavailable')],
        'False',
        'StorageLocationUnavailable',
      ],
      [
        'read-only location',
        'primary',
        [bsl('primary', 'Available', { accessMode: 'ReadOnly' })],
        'False',
        'StorageLocationReadOnly',
      ],
      ['not validated yet', 'primary', [bsl('primary', undefined)], 'Unknown', 'StorageLocationNotValidated'],
    ];
  for (const [what, location, storageLocations, expected, reason] of table) {
    test(what, () => {
      const cr = consistentBackup({ ...(location && { velero: { storageLocation: location } }) });
      const c = condition(status({ cr, storageLocations }).status, 'StorageAvailable');
      assert.equal(c.status, expected);
      assert.equal(c.reason, reason);
    });
  }
  test('left alone when the reconciler passes no locations', () => {
    assert.equal(
      findCondition(status({ cr: consistentBackup() }).status.conditions, 'StorageAvailable'),
      undefined,
    );
  });
});

// A Backup as the test helpers make it must satisfy the status code's own filter.
test('fixture sanity: a Backup of the ConsistentBackup counts as its own', () => {
  const cr = consistentBackup();
  const b: VeleroBackup = veleroBackup(cr, 'x', { phase: 'Completed' });
  assert.equal(status({ cr, backups: [b] }).status.lastBackup?.name, 'x');
});

test('Velero unavailable: Ready says why, for scheduled and single-backup ConsistentBackups alike', () => {
  const veleroUnavailable = { reason: 'VeleroNotInstalled', message: 'the velero.io CRDs are not installed' };
  for (const cr of [consistentBackup({ schedule: '0 2 * * *', rpo: '26h' }), consistentBackup({})]) {
    const ready = findCondition(status({ cr, veleroUnavailable }).status.conditions, 'Ready');
    assert.equal(ready?.status, 'False');
    assert.equal(ready?.reason, 'VeleroNotInstalled');
    assert.equal(ready?.message, 'the velero.io CRDs are not installed');
  }
});
