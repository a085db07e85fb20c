// computeStatus with pods: status.hooks, HooksReady, HookCommandsSafe, expected hook executions kept with each
// backup and graded, and spec.onMissingHookTarget Skip in Ready and phase.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsistentBackup, ConsistentBackupStatus } from '../../src/api/consistent-backup.ts';
import type { VeleroBackupStatus, VeleroSchedule } from '../../src/api/velero.ts';
import { findCondition } from '../../src/domain/conditions.ts';
import { computeStatus, type StatusInputs } from '../../src/domain/status.ts';
import { config, consistentBackup, CREATED, hook, pod, veleroBackup } from './domain-fixtures.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');

function status(inputs: Partial<StatusInputs> & { cr: ConsistentBackup }): ConsistentBackupStatus {
  return computeStatus({ config, backups: [], now: NOW, ...inputs }).status;
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

describe('expected hook executions: recorded when a backup is first seen unfinished, graded when it finishes', () => {
  const cr = consistentBackup({ schedule: '0 2 * * *', hooks: [hook()] });
  const started = '2025-06-01T02:00:00Z';
  const backup = (s: VeleroBackupStatus) => veleroBackup(cr, 'b1', { startTimestamp: started, ...s });
  const completed = (attempted: number) =>
    backup({ phase: 'Completed', hookStatus: { hooksAttempted: attempted, hooksFailed: 0 } });
  const twoPods = [pod('db-0'), pod('db-1')];

  test('Velero attempted fewer than expected: Inconsistent, naming the hook and the pods', () => {
    const running = status({ cr, backups: [backup({ phase: 'InProgress' })], pods: twoPods });
    assert.deepEqual(running.history?.[0], {
      name: 'b1',
      phase: 'InProgress',
      creationTimestamp: started,
      startTimestamp: started,
      expectedHookExecutions: 2,
      expectedHookTargets: 'hook db expected 2 executions on pods db-0, db-1',
    });
    assert.equal(running.lastBackup?.expectedHookExecutions, 2);

    // Pods changed since: the expectation is the one from when the backup ran.
    const done = status({ cr: { ...cr, status: running }, backups: [completed(1)], pods: [pod('db-0')] });
    assert.equal(done.lastBackup?.consistency, 'Inconsistent');
    const c = condition(done, 'LastBackupConsistent');
    assert.equal(c.reason, 'HooksMissed');
    assert.equal(
      c.message,
      'backup b1: Completed, but Velero attempted 1 of the 2 expected hook executions (hook db expected 2 executions on pods db-0, db-1)',
    );
    assert.equal(done.history?.[0]?.expectedHookExecutions, 2);
    assert.equal(done.lastConsistentBackup, undefined);

    const again = status({ cr: { ...cr, status: done }, backups: [completed(1)], pods: [pod('db-0')] });
    assert.deepEqual(again, done, 'idempotent');
  });

  test('as many as expected: AppConsistent', () => {
    const running = status({ cr, backups: [backup({ phase: 'New' })], pods: twoPods });
    const done = status({ cr: { ...cr, status: running }, backups: [completed(2)], pods: twoPods });
    assert.equal(done.lastBackup?.consistency, 'AppConsistent');
  });

  test('a hook without target while the backup ran (Proceed): Inconsistent, whatever the count', () => {
    const two = consistentBackup({
      schedule: '0 2 * * *',
      hooks: [hook(), hook({ name: 'cache', selector: { matchLabels: { app: 'redis' } } })],
    });
    const b = (s: VeleroBackupStatus) => veleroBackup(two, 'b1', { startTimestamp: started, ...s });
    const running = status({ cr: two, backups: [b({ phase: 'InProgress' })], pods: [pod('db-0')] });
    assert.deepEqual(running.history?.[0]?.hooksWithoutTarget, ['cache']);
    const done = status({
      cr: { ...two, status: running },
      backups: [b({ phase: 'Completed', hookStatus: { hooksAttempted: 1, hooksFailed: 0 } })],
      pods: [pod('db-0'), pod('redis-0', { labels: { app: 'redis' } })],
    });
    assert.equal(condition(done, 'LastBackupConsistent').reason, 'HookTargetsMissing');
  });

  const none: [string, Partial<StatusInputs>][] = [
    ['first seen finished', { backups: [completed(1)], pods: twoPods }],
    ['pods not known while it ran', { backups: [completed(1)] }],
  ];
  for (const [what, inputs] of none) {
    test(`no expectation when ${what}: graded on Velero's counts alone`, () => {
      const s = status({ cr, ...inputs });
      assert.equal(s.history?.[0]?.expectedHookExecutions, undefined);
      assert.equal(s.lastBackup?.consistency, 'AppConsistent');
    });
  }

  test('a Backup just created (no creation time yet) is the newest: kept in a full history, with its expectation', () => {
    const old = Array.from({ length: 10 }, (_, i) =>
      veleroBackup(cr, `old-${i}`, { phase: 'Completed' }, { created: `2025-05-2${i}T02:00:00Z` }),
    );
    const { metadata, ...rest } = veleroBackup(cr, 'just-created', {});
    const { creationTimestamp: _, ...unread } = metadata;
    const s = status({ cr, backups: [...old, { ...rest, metadata: unread }], pods: twoPods });
    assert.equal(s.history?.length, 10);
    assert.equal(s.history?.[0]?.name, 'just-created');
    assert.equal(s.history?.[0]?.expectedHookExecutions, 2);
    assert.equal(s.lastBackup?.name, 'just-created');
  });

  test('a backup without hooks gets no expectation', () => {
    const s = status({
      cr,
      backups: [veleroBackup(cr, 'b1', { phase: 'InProgress' }, { hooks: false })],
      pods: twoPods,
    });
    assert.equal(s.history?.[0]?.expectedHookExecutions, undefined);
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
