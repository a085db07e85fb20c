// computeStatus with pods: status.hooks, HooksReady, HookCommandsSafe; Velero's records of each backup wanted,
// kept with it and graded from; and spec.onMissingHookTarget Skip in Ready and phase.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type {
  BackupEvidence,
  ConsistentBackup,
  ConsistentBackupStatus,
} from '../../src/api/consistent-backup.ts';
import type { VeleroBackupStatus, VeleroSchedule } from '../../src/api/velero.ts';
import { findCondition } from '../../src/domain/conditions.ts';
import { computeStatus, type ComputedStatus, type StatusInputs } from '../../src/domain/status.ts';
import {
  config,
  consistentBackup,
  CREATED,
  evidence,
  hook,
  hookResource,
  pod,
  veleroBackup,
} from './domain-fixtures.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');

function computed(inputs: Partial<StatusInputs> & { cr: ConsistentBackup }): ComputedStatus {
  return computeStatus({ config, backups: [], now: NOW, ...inputs });
}

function status(inputs: Partial<StatusInputs> & { cr: ConsistentBackup }): ConsistentBackupStatus {
  return computed(inputs).status;
}

function condition(s: ConsistentBackupStatus, type: string) {
  const c = findCondition(s.conditions, type);
  assert.ok(c, `condition ${type} in ${JSON.stringify(s.conditions)}`);
  return c;
}

const enabled: VeleroSchedule = {
  apiVersion: 'velero.io/v1',
  kind: 'Schedule',
  metadata: { name: 's', namespace: 'velero', creationTimestamp: CREATED },
  spec: { schedule: 'CRON_TZ=UTC 0 2 * * *', template: {} },
  status: { phase: 'Enabled' },
};

describe('status.hooks and HooksReady', () => {
  const cr = consistentBackup({ hooks: [hook()] });

  test('from the pods of the namespace', () => {
    const s = status({ cr, pods: [pod('db-0'), pod('db-1', { phase: 'Pending' })] });
    assert.deepEqual(s.hooks, [
      {
        name: 'db',
        matchedPods: ['db-0', 'db-1'],
        matchedPodCount: 2,
        expectedExecutions: 1,
        problems: ["pod db-1 is Pending, not Running: Velero's hook execs in it would fail"],
      },
    ]);
    assert.equal(condition(s, 'HooksReady').status, 'False');
    assert.equal(condition(s, 'HooksReady').reason, 'PodNotRunning');
    const ready = status({ cr: { ...cr, status: s }, pods: [pod('db-0'), pod('db-1')] });
    assert.equal(condition(ready, 'HooksReady').reason, 'HooksReady');
    assert.equal(condition(ready, 'HooksReady').lastTransitionTime, '2025-06-01T12:00:00Z');
  });

  test("another namespace's pods never appear in status", () => {
    const s = status({ cr, pods: [pod('their-db', { namespace: 'tenant-b' })] });
    assert.ok(!JSON.stringify(s).includes('their-db'));
    assert.equal(condition(s, 'HooksReady').reason, 'NoMatchingPods');
  });

  test('pods not known: what was found before stays', () => {
    const first = status({ cr, pods: [pod('db-0')] });
    const again = status({ cr: { ...cr, status: first } });
    assert.deepEqual(again.hooks, first.hooks);
    assert.deepEqual(
      findCondition(again.conditions, 'HooksReady'),
      findCondition(first.conditions, 'HooksReady'),
    );
  });

  test('hooks removed from the spec: their status and conditions go, with or without pods', () => {
    const first = status({ cr, pods: [pod('db-0')] });
    for (const pods of [undefined, [pod('db-0')]]) {
      const s = status({ cr: consistentBackup({}, {}, first), ...(pods && { pods }) });
      assert.equal(s.hooks, undefined);
      assert.equal(findCondition(s.conditions, 'HooksReady'), undefined);
      assert.equal(findCondition(s.conditions, 'HookCommandsSafe'), undefined);
    }
  });

  test('HookCommandsSafe from the spec, pods or not', () => {
    const unsafe = consistentBackup({ hooks: [hook({ pre: [{ command: ['fsfreeze', '-f', '/data'] }] })] });
    const c = condition(status({ cr: unsafe }), 'HookCommandsSafe');
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'UnsafeHookCommand');
    assert.match(c.message, /^spec.hooks\[0\].pre\[0\] \(hook db\): this pre hook runs fsfreeze -f/);
    assert.equal(condition(status({ cr }), 'HookCommandsSafe').status, 'True');
  });

  test('an invalid hook is reported per hook as well', () => {
    const invalid = consistentBackup({
      hooks: [hook({ pre: undefined, preset: { name: 'mysql', parameters: { client: 'psql' } } })],
    });
    const s = status({ cr: invalid, pods: [pod('db-0')] });
    assert.equal(s.phase, 'Invalid');
    assert.equal(condition(s, 'Ready').reason, 'InvalidPreset');
    assert.equal(condition(s, 'HooksReady').reason, 'InvalidHook');
    assert.match(
      s.hooks?.[0]?.problems?.[0] ?? '',
      /^spec.hooks\[0\].preset.parameters.client: preset mysql/,
    );
  });
});

describe("Velero's records of a finished backup: wanted, remembered, graded from", () => {
  const cr = consistentBackup({ schedule: '0 2 * * *', rpo: '25h', hooks: [hook()] });
  const started = '2025-06-01T02:00:00Z';
  const backup = (s: VeleroBackupStatus, name = 'b1', start = started) =>
    veleroBackup(cr, name, { startTimestamp: start, ...s });
  const completed = (attempted = 1, name = 'b1', start = started) =>
    backup({ phase: 'Completed', hookStatus: { hooksAttempted: attempted } }, name, start);
  const ran = evidence([['db', 1, 1]], { markers: ['db: cbo.checkpoint preset=postgresql lsn=0/15B3D80'] });
  const fresh = (e: BackupEvidence, name = 'b1') => new Map([[name, e]]);
  const names = (r: ComputedStatus) => r.evidenceWanted.map((b) => b.metadata.name);

  test('a Completed backup with hooks waits for its records: no grade, no recovery point, wanted', () => {
    const r = computed({ cr, backups: [completed()] });
    assert.deepEqual(names(r), ['b1']);
    assert.equal(r.status.lastBackup?.consistency, undefined);
    assert.match(
      r.status.lastBackup?.message ?? '',
      /^Completed; reading Velero's log, results and resource list/,
    );
    assert.equal(r.status.history?.[0]?.consistency, undefined);
    assert.equal(r.status.history?.[0]?.evidence, undefined);
    assert.equal(r.status.lastConsistentBackup, undefined);
    assert.equal(r.status.rpo?.recoveryPoint, undefined);
    assert.equal(r.status.rpo?.deadline, '2025-06-02T01:00:00Z', 'the clock still runs from creation');
    assert.equal(condition(r.status, 'LastBackupConsistent').reason, 'NoFinishedBackup');
  });

  test('read: graded from them, kept in lastBackup and history, the recovery point moves', () => {
    const r = computed({ cr, backups: [completed()], evidence: fresh(ran) });
    assert.deepEqual(names(r), []);
    assert.deepEqual(r.status.lastBackup?.evidence, ran);
    assert.deepEqual(r.status.history?.[0], {
      name: 'b1',
      phase: 'Completed',
      creationTimestamp: started,
      startTimestamp: started,
      consistency: 'AppConsistent',
      evidence: ran,
    });
    assert.equal(condition(r.status, 'LastBackupConsistent').reason, 'AppConsistent');
    assert.deepEqual(r.status.lastConsistentBackup, {
      name: 'b1',
      startTimestamp: started,
      consistency: 'AppConsistent',
    });
    assert.equal(r.status.rpo?.recoveryPoint, started);
  });

  test('remembered: read once, then graded from status alone, the same status again', () => {
    const first = computed({ cr, backups: [completed()], evidence: fresh(ran) }).status;
    const again = computed({ cr: { ...cr, status: first }, backups: [completed()] });
    assert.deepEqual(names(again), []);
    assert.deepEqual(again.status, first);
  });

  test('the same backup is graded the same whatever the history and the pods', () => {
    const records = evidence([['db', 2, 1]]);
    const twoPods = [pod('db-0'), pod('db-1')];
    // Watched while it ran, with two pods then and one now.
    const watched = computed({ cr, backups: [backup({ phase: 'InProgress' })], pods: twoPods }).status;
    const afterWatching = computed({
      cr: { ...cr, status: watched },
      backups: [completed()],
      pods: [pod('db-0')],
      evidence: fresh(records),
    }).status;
    // First seen finished, by an operator that never saw it run (and knows no pods).
    const unseen = computed({ cr, backups: [completed()], evidence: fresh(records) }).status;
    // Graded again from what status remembers, after a restart.
    const remembered = computed({
      cr: { ...cr, status: unseen },
      backups: [completed()],
      pods: twoPods,
    }).status;
    for (const s of [afterWatching, unseen, remembered]) {
      assert.equal(s.lastBackup?.consistency, 'Inconsistent');
      assert.deepEqual(s.history?.[0], unseen.history?.[0]);
      const c = condition(s, 'LastBackupConsistent');
      assert.equal(c.reason, 'HooksMissed');
      assert.equal(
        c.message,
        'backup b1: Completed, but some pods did not run every action of their hooks (hook db ran 1 of 2): Velero skips the post hooks of a pod whose pre hook timed out',
      );
    }
  });

  test('records unreadable: Unverified, LastBackupConsistent Unknown, no recovery point, wanted again', () => {
    const unreadable = { unavailable: 'DownloadRequest for BackupLog not processed within 30s' };
    const r = computed({ cr, backups: [completed()], evidence: fresh(unreadable) });
    assert.equal(r.status.lastBackup?.consistency, 'Unverified');
    const c = condition(r.status, 'LastBackupConsistent');
    assert.equal(c.status, 'Unknown');
    assert.equal(c.reason, 'Unverified');
    assert.match(c.message, /not processed within 30s$/);
    assert.equal(r.status.lastConsistentBackup, undefined);
    assert.deepEqual(r.status.history?.[0]?.evidence, unreadable);
    // Remembered as unreadable, the records are still wanted, and a later read grades the backup.
    const later = computed({ cr: { ...cr, status: r.status }, backups: [completed()] });
    assert.deepEqual(names(later), ['b1']);
    assert.equal(later.status.lastBackup?.consistency, 'Unverified');
    const read = computed({ cr: { ...cr, status: r.status }, backups: [completed()], evidence: fresh(ran) });
    assert.equal(read.status.lastBackup?.consistency, 'AppConsistent');
    assert.equal(condition(read.status, 'LastBackupConsistent').status, 'True');
    assert.equal(read.status.lastConsistentBackup?.name, 'b1');
  });

  test('records unreadable for a backup whose grade does not wait for them: not wanted again', () => {
    const failed = backup({ phase: 'PartiallyFailed', hookStatus: { hooksAttempted: 1, hooksFailed: 1 } });
    const first = computed({ cr, backups: [failed], evidence: fresh({ unavailable: 'no log uploaded' }) });
    assert.equal(first.status.lastBackup?.consistency, 'Inconsistent');
    const again = computed({ cr: { ...cr, status: first.status }, backups: [failed] });
    assert.deepEqual(names(again), []);
    assert.deepEqual(again.status, first.status);
  });

  test("records that do not account for Velero's count: Unverified (EvidenceIncomplete), Unknown", () => {
    const r = computed({ cr, backups: [completed(2)], evidence: fresh(ran) });
    assert.equal(r.status.lastBackup?.consistency, 'Unverified');
    const c = condition(r.status, 'LastBackupConsistent');
    assert.equal(c.status, 'Unknown');
    assert.equal(c.reason, 'EvidenceIncomplete');
    assert.equal(r.status.lastConsistentBackup, undefined);
    assert.deepEqual(names(r), [], 'read, so not wanted again');
  });

  test('a hook that ran nowhere: Inconsistent, whatever Velero counted', () => {
    const two = consistentBackup({
      schedule: '0 2 * * *',
      hooks: [hook(), hook({ name: 'cache', selector: { matchLabels: { app: 'redis' } } })],
    });
    const b = veleroBackup(
      two,
      'b1',
      { phase: 'Completed', startTimestamp: started, hookStatus: { hooksAttempted: 1 } },
      { hooks: [hookResource(), hookResource({ name: 'cache' })] },
    );
    const records = evidence([
      ['db', 1, 1],
      ['cache', 0, 0],
    ]);
    const s = computed({ cr: two, backups: [b], evidence: fresh(records) }).status;
    const c = condition(s, 'LastBackupConsistent');
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'HookRanNowhere');
    assert.match(c.message, /^backup b1: Completed, but 1 hook ran in no pod \(cache\)/);
  });

  test('only finished backups that declared hooks are wanted, of the newest history only', () => {
    const day = (i: number) => `2025-05-${String(10 + i).padStart(2, '0')}T02:00:00Z`;
    const old = Array.from({ length: 12 }, (_, i) => completed(1, `b-${10 + i}`, day(i)));
    const others = [
      veleroBackup(cr, 'crash', { phase: 'Completed', startTimestamp: day(12) }, { hooks: false }),
      backup({ phase: 'FailedValidation' }, 'refused', day(13)),
      backup({ phase: 'PartiallyFailed', hookStatus: { hooksAttempted: 1, hooksFailed: 1 } }, 'pf', day(14)),
      backup({ phase: 'InProgress' }, 'running', day(15)),
    ];
    const r = computed({ cr, backups: [...old, ...others] });
    // The newest 10: 4 others (only pf is wanted, for its detail) and b-16..b-21.
    assert.deepEqual(names(r), ['b-16', 'b-17', 'b-18', 'b-19', 'b-20', 'b-21', 'pf']);
    assert.equal(r.status.history?.find((e) => e.name === 'pf')?.consistency, 'Inconsistent');
  });

  test('a recovery point older than history stays one while Velero keeps it Completed', () => {
    const old = completed(1, 'old', '2025-05-01T02:00:00Z');
    const first = computed({ cr, backups: [old], evidence: fresh(ran, 'old') }).status;
    assert.equal(first.lastConsistentBackup?.name, 'old');
    // Ten newer backups push it out of history, and with it its records.
    const newer = Array.from({ length: 10 }, (_, i) =>
      backup(
        { phase: 'PartiallyFailed', hookStatus: { hooksAttempted: 1, hooksFailed: 1 } },
        `n-${i}`,
        `2025-05-${String(10 + i)}T02:00:00Z`,
      ),
    );
    const pushed = computed({ cr: { ...cr, status: first }, backups: [old, ...newer] }).status;
    assert.ok(!pushed.history?.some((e) => e.name === 'old'));
    assert.deepEqual(pushed.lastConsistentBackup, first.lastConsistentBackup);
    const again = computed({ cr: { ...cr, status: pushed }, backups: [old, ...newer] });
    assert.deepEqual(again.status.lastConsistentBackup, first.lastConsistentBackup);
    assert.ok(!names(again).includes('old'), 'not read again');
    // Velero deleting it, or no longer having it, ends it.
    const deleting = { ...old, status: { ...old.status, phase: 'Deleting' } };
    assert.equal(
      computed({ cr: { ...cr, status: pushed }, backups: [deleting, ...newer] }).status.lastConsistentBackup,
      undefined,
    );
    assert.equal(
      computed({ cr: { ...cr, status: pushed }, backups: newer }).status.lastConsistentBackup,
      undefined,
    );
  });

  test('the recovery point stays on the previous backup while the newest one waits for its records', () => {
    const first = computed({ cr, backups: [completed()], evidence: fresh(ran) }).status;
    const next = completed(1, 'b2', '2025-06-02T02:00:00Z');
    const waiting = computed({ cr: { ...cr, status: first }, backups: [completed(), next] });
    assert.deepEqual(names(waiting), ['b2']);
    assert.equal(waiting.status.lastConsistentBackup?.name, 'b1');
    assert.equal(waiting.status.lastBackup?.name, 'b2');
    assert.equal(condition(waiting.status, 'LastBackupConsistent').message.startsWith('backup b1:'), true);
    const read = computed({
      cr: { ...cr, status: waiting.status },
      backups: [completed(), next],
      evidence: fresh(ran, 'b2'),
    }).status;
    assert.equal(read.lastConsistentBackup?.name, 'b2');
  });

  test('a Backup just created (no creation time yet) is the newest: kept in a full history, not wanted', () => {
    const old = Array.from({ length: 10 }, (_, i) =>
      veleroBackup(
        cr,
        `old-${i}`,
        { phase: 'Completed' },
        { created: `2025-05-2${i}T02:00:00Z`, hooks: false },
      ),
    );
    const { metadata, ...rest } = veleroBackup(cr, 'just-created', {});
    const { creationTimestamp: _, ...unread } = metadata;
    const r = computed({ cr, backups: [...old, { ...rest, metadata: unread }] });
    assert.equal(r.status.history?.length, 10);
    assert.equal(r.status.history?.[0]?.name, 'just-created');
    assert.equal(r.status.lastBackup?.name, 'just-created');
    assert.deepEqual(names(r), []);
  });

  test('a backup without hooks needs no records: CrashConsistent at once', () => {
    const r = computed({
      cr,
      backups: [veleroBackup(cr, 'b1', { phase: 'Completed', startTimestamp: started }, { hooks: false })],
    });
    assert.deepEqual(names(r), []);
    assert.equal(r.status.lastBackup?.consistency, 'CrashConsistent');
    assert.equal(r.status.history?.[0]?.evidence, undefined);
    assert.equal(r.status.lastConsistentBackup?.name, 'b1');
  });
});

describe('spec.onMissingHookTarget Skip in Ready and phase', () => {
  const table: [string, ConsistentBackup, string, string, RegExp][] = [
    // [case, object, phase, Ready reason, Ready message]
    [
      'scheduled: paused while a hook has no target',
      consistentBackup({ schedule: '0 2 * * *', onMissingHookTarget: 'Skip', hooks: [hook()] }),
      'Pending',
      'WaitingForHookTargets',
      /^hook db has no running pod to run in: no backup is taken until it has one \(the Velero Schedule is paused meanwhile\)/,
    ],
    [
      'single backup not taken yet',
      consistentBackup({ onMissingHookTarget: 'Skip', hooks: [hook()] }),
      'Pending',
      'WaitingForHookTargets',
      /no backup is taken until it has one \(spec.onMissingHookTarget: Skip\)$/,
    ],
    [
      'suspend wins',
      consistentBackup({
        schedule: '0 2 * * *',
        suspend: true,
        onMissingHookTarget: 'Skip',
        hooks: [hook()],
      }),
      'Suspended',
      'Suspended',
      /spec.suspend/,
    ],
    [
      'Proceed: not held',
      consistentBackup({ schedule: '0 2 * * *', hooks: [hook()] }),
      'Scheduled',
      'ScheduleEnabled',
      /enabled/,
    ],
  ];
  for (const [what, cr, phase, reason, message] of table) {
    test(what, () => {
      const s = status({ cr, schedule: enabled, pods: [pod('db-0', { phase: 'Pending' })] });
      assert.equal(s.phase, phase);
      assert.equal(condition(s, 'Ready').reason, reason);
      assert.match(condition(s, 'Ready').message, message);
      if (reason === 'WaitingForHookTargets') {
        assert.equal(s.nextBackupTime, undefined, 'no next run while held');
        assert.match(condition(s, 'HooksReady').message, /spec.onMissingHookTarget: Skip/);
      }
    });
  }

  test('targets back: scheduled again, with a next run', () => {
    const cr = consistentBackup({ schedule: '0 2 * * *', onMissingHookTarget: 'Skip', hooks: [hook()] });
    const held = status({ cr, schedule: enabled, pods: [] });
    const back = status({ cr: { ...cr, status: held }, schedule: enabled, pods: [pod('db-0')] });
    assert.equal(back.phase, 'Scheduled');
    assert.equal(condition(back, 'Ready').reason, 'ScheduleEnabled');
    assert.equal(back.nextBackupTime, '2025-06-02T02:00:00Z');
  });

  test('a held run-now token is not marked processed', () => {
    const cr = consistentBackup(
      { schedule: '0 2 * * *', onMissingHookTarget: 'Skip', hooks: [hook()] },
      { annotations: { 'consistentbackup.io/run-now': 'now-1' } },
    );
    assert.equal(status({ cr, schedule: enabled, pods: [] }).processedRunTokens, undefined);
  });
});
