// End to end on a real Velero v1.18.3: every grade below is Velero's own run of the hooks (kube-apiserver ->
// kwok -> a shell on this host in the test's temp dir), its own status and the records it stored in the bucket,
// read by the operator running under its deploy/ RBAC. No stand-in is involved.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConsistentBackup, LastBackupStatus } from '../../src/api/consistent-backup.ts';
import type { VeleroBackup } from '../../src/api/velero.ts';
import { RealVeleroTestbed } from '../harness/real-velero-testbed.ts';
import { waitFor } from '../harness/wait.ts';

let bed: RealVeleroTestbed;
before(async () => {
  bed = await RealVeleroTestbed.start();
});
after(async () => {
  await bed?.stop();
});

/** A hook action that appends `word` to hooks.log in the pod's work dir (on this host, nowhere else). */
const append = (word: string, extra = '') => ['/bin/sh', '-c', `echo ${word} >> hooks.log${extra}`];

const graded = (cr: ConsistentBackup) => cr.status?.lastBackup?.consistency !== undefined;

/** The log's per-hook numbers must add up to Velero's own counts. */
function assertEvidenceMatchesVelero(last: LastBackupStatus | undefined): void {
  const hooks = last?.evidence?.hooks ?? [];
  const attempted = hooks.reduce((sum, h) => sum + (h.attempted ?? 0), 0);
  const failed =
    hooks.reduce((sum, h) => sum + (h.failed ?? 0), 0) + (last?.evidence?.unattributedFailures ?? 0);
  assert.equal(attempted, last?.hooksAttempted, JSON.stringify(last));
  assert.equal(failed, last?.hooksFailed, JSON.stringify(last));
}

async function ownedBackups(namespace: string): Promise<VeleroBackup[]> {
  const out = await bed.kubectl([
    'get',
    'backups.velero.io',
    '-n',
    bed.env.veleroNamespace,
    '-l',
    `consistentbackup.io/namespace=${namespace}`,
    '-o',
    'json',
  ]);
  return (JSON.parse(out) as { items: VeleroBackup[] }).items;
}

describe('a scheduled ConsistentBackup on the real Velero', () => {
  test('Schedule -> run-now -> Completed with hooks really run, stored in the bucket -> AppConsistent, RPO met', async () => {
    const { namespace, workDir } = await bed.namespace('e2e-scheduled');
    await bed.startPod(namespace, 'db-0', { labels: { app: 'db' }, exec: { workDir } });
    await bed.applyConsistentBackup(namespace, 'orders', {
      schedule: '0 3 * * *',
      rpo: '48h',
      hooks: [
        {
          name: 'db',
          selector: { matchLabels: { app: 'db' } },
          container: 'db',
          pre: [
            { command: append('pre', '; echo cbo.checkpoint preset=test lsn=0/16B3D80'), onError: 'Fail' },
          ],
          post: [{ command: append('post'), onError: 'Continue' }],
        },
      ],
    });
    const scheduled = await bed.waitForStatus(
      namespace,
      'orders',
      'Scheduled',
      (cr) => cr.status?.phase === 'Scheduled',
    );
    const scheduleName = scheduled.status?.scheduleName ?? '';
    const schedule = JSON.parse(
      await bed.kubectl([
        'get',
        'schedules.velero.io',
        '-n',
        bed.env.veleroNamespace,
        scheduleName,
        '-o',
        'json',
      ]),
    ) as { spec: { template: { hooks?: { resources?: { name: string }[] } } } };
    assert.deepEqual(
      schedule.spec.template.hooks?.resources?.map((r) => r.name),
      ['db'],
    );

    await bed.runNow(namespace, 'orders', 'first');
    const cr = await bed.waitForStatus(namespace, 'orders', 'graded', graded);
    const last = cr.status?.lastBackup;
    assert.equal(last?.trigger, 'run-now');
    assert.equal(last?.phase, 'Completed');
    assert.equal(last?.consistency, 'AppConsistent', last?.message);
    assert.equal(last?.hooksAttempted, 2);
    assert.equal(last?.hooksFailed, 0);
    assert.deepEqual(last?.evidence?.hooks, [{ name: 'db', expected: 2, attempted: 2, failed: 0 }]);
    assert.equal(last?.evidence?.podsBackedUp, 1);
    assert.deepEqual(last?.evidence?.markers, ['db: cbo.checkpoint preset=test lsn=0/16B3D80']);
    assertEvidenceMatchesVelero(last);
    // Velero really ran them, in order, in this pod's work dir.
    assert.deepEqual(await bed.hookOutput(workDir, 'hooks.log'), ['pre', 'post']);

    const backup = await bed.backup(last?.name ?? '');
    assert.equal(cr.status?.lastConsistentBackup?.name, last?.name);
    assert.equal(
      Date.parse(cr.status?.rpo?.recoveryPoint ?? ''),
      Date.parse(backup?.status?.startTimestamp ?? ''),
      'the recovery point is the start Velero reports',
    );
    assert.equal(cr.status?.rpo?.met, true);
    const rpoMet = cr.status?.conditions?.find((c) => c.type === 'RPOMet');
    assert.equal(rpoMet?.status, 'True');
    const objects = await bed.env.listObjects(`backups/${last?.name}/`);
    assert.ok(
      objects.includes(`backups/${last?.name}/${last?.name}.tar.gz`),
      `the backup's contents are in the bucket: ${objects.join(', ')}`,
    );
  });
});

interface FailureCase {
  name: string;
  pods: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
  hook: Record<string, unknown>;
  velero: { phase: string; attempted: number; failed: number };
  grade: { consistency: string; reason: string };
  podsLeftOut?: string[];
}

const failureCases: FailureCase[] = [
  {
    name: 'pre-fail',
    pods: [{ name: 'db-0' }],
    hook: {
      container: 'db',
      pre: [
        { command: ['/bin/sh', '-c', 'exit 1'], onError: 'Fail' },
        { command: append('second-pre'), onError: 'Fail' },
      ],
      post: [{ command: append('post'), onError: 'Continue' }],
    },
    // The skipped second pre hook is counted; the post hook is neither run nor counted.
    velero: { phase: 'PartiallyFailed', attempted: 2, failed: 1 },
    grade: { consistency: 'Inconsistent', reason: 'HooksFailed' },
    podsLeftOut: ['db-0'],
  },
  {
    name: 'pre-continue',
    pods: [{ name: 'db-0' }],
    hook: {
      container: 'db',
      pre: [
        { command: ['/bin/sh', '-c', 'exit 1'], onError: 'Continue' },
        { command: append('second-pre'), onError: 'Continue' },
      ],
      post: [{ command: append('post'), onError: 'Continue' }],
    },
    velero: { phase: 'PartiallyFailed', attempted: 3, failed: 1 },
    grade: { consistency: 'Inconsistent', reason: 'HooksFailed' },
  },
  {
    name: 'no-container',
    pods: [{ name: 'db-0' }],
    hook: { container: 'nope', pre: [{ command: append('pre'), onError: 'Fail' }] },
    velero: { phase: 'PartiallyFailed', attempted: 1, failed: 1 },
    grade: { consistency: 'Inconsistent', reason: 'HooksFailed' },
    podsLeftOut: ['db-0'],
  },
  {
    name: 'timeout',
    pods: [{ name: 'db-0' }],
    hook: {
      container: 'db',
      pre: [
        { command: ['/bin/sh', '-c', 'sleep 4; echo late >> hooks.log'], timeout: '1s', onError: 'Continue' },
      ],
      post: [{ command: append('post'), onError: 'Continue' }],
    },
    velero: { phase: 'PartiallyFailed', attempted: 2, failed: 1 },
    grade: { consistency: 'Inconsistent', reason: 'HooksFailed' },
  },
  {
    name: 'excluded-pod',
    pods: [{ name: 'db-0' }, { name: 'db-1', labels: { 'velero.io/exclude-from-backup': 'true' } }],
    hook: {
      container: 'db',
      pre: [{ command: append('pre'), onError: 'Fail' }],
      post: [{ command: append('post'), onError: 'Continue' }],
    },
    // Velero leaves db-1 out and runs no hook in it: the backup it made is consistent.
    velero: { phase: 'Completed', attempted: 2, failed: 0 },
    grade: { consistency: 'AppConsistent', reason: 'AppConsistent' },
  },
  {
    name: 'annotation-override',
    pods: [
      {
        name: 'db-0',
        annotations: {
          'pre.hook.backup.velero.io/command': '["/bin/sh","-c","echo annotated >> hooks.log"]',
          'pre.hook.backup.velero.io/container': 'db',
        },
      },
    ],
    hook: { container: 'db', pre: [{ command: append('spec-pre'), onError: 'Fail' }] },
    // Velero runs the pod's own hook instead of the declared one: counts look fine, the declared hook never ran.
    velero: { phase: 'Completed', attempted: 1, failed: 0 },
    grade: { consistency: 'Inconsistent', reason: 'HookRanNowhere' },
  },
];

describe('each hook failure graded exactly as Velero reports it', () => {
  for (const c of failureCases) {
    test(c.name, async (t) => {
      const { namespace, workDir } = await bed.namespace(`e2e-${c.name}`);
      for (const pod of c.pods) {
        await bed.startPod(namespace, pod.name, {
          labels: { app: 'db', ...pod.labels },
          ...(pod.annotations && { annotations: pod.annotations }),
          exec: { workDir },
        });
      }
      await bed.applyConsistentBackup(namespace, 'once', {
        hooks: [{ name: 'db', selector: { matchLabels: { app: 'db' } }, ...c.hook }],
      });
      const cr = await bed.waitForStatus(namespace, 'once', 'graded', graded);
      const last = cr.status?.lastBackup;
      assert.equal(last?.phase, c.velero.phase, JSON.stringify(last));
      assert.equal(last?.hooksAttempted, c.velero.attempted, JSON.stringify(last));
      assert.equal(last?.hooksFailed, c.velero.failed, JSON.stringify(last));
      assert.equal(last?.consistency, c.grade.consistency, last?.message);
      const reason = cr.status?.conditions?.find((x) => x.type === 'LastBackupConsistent')?.reason;
      assert.equal(reason, c.grade.reason, last?.message);
      assertEvidenceMatchesVelero(last);
      assert.deepEqual(last?.evidence?.podsLeftOut, c.podsLeftOut);
      // The grade table as observed, in the test report.
      t.diagnostic(
        `${c.name}: Velero ${last?.phase} attempted ${last?.hooksAttempted} failed ${last?.hooksFailed} -> ${last?.consistency} (${reason}); evidence ${JSON.stringify(last?.evidence)}`,
      );
      // The Velero object says the same as the status the operator wrote.
      const backup = await bed.backup(last?.name ?? '');
      assert.equal(backup?.status?.phase, last?.phase);
      assert.equal(backup?.status?.hookStatus?.hooksAttempted ?? 0, last?.hooksAttempted);
      assert.equal(backup?.status?.hookStatus?.hooksFailed ?? 0, last?.hooksFailed);
    });
  }
});

describe('the same grade whether or not the operator watched the backup run', () => {
  const setups = [
    { name: 'plain', annotations: undefined, expect: 'AppConsistent' },
    {
      name: 'overridden',
      annotations: {
        'pre.hook.backup.velero.io/command': '["/bin/sh","-c","echo annotated >> hooks.log"]',
        'pre.hook.backup.velero.io/container': 'db',
      },
      expect: 'Inconsistent',
    },
  ];
  for (const setup of setups) {
    test(`${setup.name}: watched run-now, unwatched run-now and unwatched scheduled run agree`, async () => {
      const { namespace, workDir } = await bed.namespace(`e2e-unwatched-${setup.name}`);
      await bed.startPod(namespace, 'db-0', {
        labels: { app: 'db' },
        ...(setup.annotations && { annotations: setup.annotations }),
        exec: { workDir },
      });
      await bed.applyConsistentBackup(namespace, 'nightly', {
        schedule: '0 3 * * *',
        hooks: [
          {
            name: 'db',
            selector: { matchLabels: { app: 'db' } },
            container: 'db',
            pre: [{ command: append('pre', '; echo cbo.checkpoint n=1'), onError: 'Fail' }],
          },
        ],
      });
      await bed.runNow(namespace, 'nightly', 'watched');
      const watched = await bed.waitForStatus(namespace, 'nightly', 'watched run graded', graded);
      assert.equal(
        watched.status?.lastBackup?.consistency,
        setup.expect,
        watched.status?.lastBackup?.message,
      );

      // Unwatched run-now: the operator creates the Backup and is stopped before Velero runs it.
      const before = new Set((await ownedBackups(namespace)).map((b) => b.metadata.name));
      await bed.runNow(namespace, 'nightly', 'unwatched');
      const created = await waitFor(
        async () => (await ownedBackups(namespace)).find((b) => !before.has(b.metadata.name)),
        { what: 'the run-now Backup', timeoutMs: 30_000 },
      );
      const restart = await bed.stopOperator();
      await bed.waitForBackupFinished(created.metadata.name ?? '');
      // Unwatched scheduled run: Velero makes a Backup from the Schedule, as its cron would.
      const fromSchedule = `${watched.status?.scheduleName}-manual`;
      await bed.velero([
        'backup',
        'create',
        fromSchedule,
        '--from-schedule',
        watched.status?.scheduleName ?? '',
        '--wait',
      ]);
      await restart();

      const all = await bed.waitForStatus(namespace, 'nightly', 'three backups graded', (cr) =>
        [watched.status?.lastBackup?.name, created.metadata.name, fromSchedule].every((name) =>
          cr.status?.history?.some((h) => h.name === name && h.consistency !== undefined),
        ),
      );
      const entries = [watched.status?.lastBackup?.name, created.metadata.name, fromSchedule].map((name) =>
        all.status?.history?.find((h) => h.name === name),
      );
      const shape = (e: (typeof entries)[number]) => ({ consistency: e?.consistency, evidence: e?.evidence });
      assert.deepEqual(shape(entries[1]), shape(entries[0]), 'unwatched run-now = watched');
      assert.deepEqual(shape(entries[2]), shape(entries[0]), 'unwatched scheduled = watched');
      assert.equal(entries[2]?.trigger, 'schedule');
    });
  }
});

describe('deletionPolicy Delete on the real Velero', () => {
  test('the backup is gone from the bucket and the finalizer released', async () => {
    const { namespace, workDir } = await bed.namespace('e2e-delete');
    await bed.startPod(namespace, 'db-0', { labels: { app: 'db' }, exec: { workDir } });
    await bed.applyConsistentBackup(namespace, 'gone', {
      deletionPolicy: 'Delete',
      hooks: [
        {
          name: 'db',
          selector: { matchLabels: { app: 'db' } },
          container: 'db',
          pre: [{ command: append('pre') }],
        },
      ],
    });
    const cr = await bed.waitForStatus(namespace, 'gone', 'graded', graded);
    const name = cr.status?.lastBackup?.name ?? '';
    assert.equal(cr.status?.lastBackup?.consistency, 'AppConsistent', cr.status?.lastBackup?.message);
    assert.ok((await bed.env.listObjects(`backups/${name}/`)).length > 0, 'stored before deletion');

    await bed.kubectl(['delete', 'consistentbackup', '-n', namespace, 'gone', '--timeout=90s']);
    assert.deepEqual(await bed.env.listObjects(`backups/${name}/`), [], 'nothing left in the bucket');
    assert.equal(await bed.backup(name), undefined, 'the Backup object is gone');
    const left = await bed.kubectl(['get', 'consistentbackups', '-n', namespace, '-o', 'name']);
    assert.equal(left.trim(), '', 'the finalizer was released');
    const errors = bed.operator.logs.filter((l) => l.level === 'error');
    assert.deepEqual(errors, [], 'a deletion logs no error');
  });
});

describe("Velero's own cron", () => {
  // The one test that waits for a cron tick: Velero checks schedules once a minute, so up to ~2 minutes.
  test('fires the Schedule the operator made, and the scheduled backup is graded', async () => {
    const { namespace, workDir } = await bed.namespace('e2e-cron');
    await bed.startPod(namespace, 'db-0', { labels: { app: 'db' }, exec: { workDir } });
    await bed.applyConsistentBackup(namespace, 'every-minute', {
      schedule: '* * * * *',
      rpo: '10m',
      hooks: [
        {
          name: 'db',
          selector: { matchLabels: { app: 'db' } },
          container: 'db',
          pre: [{ command: append('tick') }],
        },
      ],
    });
    const cr = await bed.waitForStatus(
      namespace,
      'every-minute',
      'a scheduled backup graded',
      (c) => c.status?.lastBackup?.trigger === 'schedule' && graded(c),
      180_000,
    );
    assert.equal(cr.status?.lastBackup?.consistency, 'AppConsistent', cr.status?.lastBackup?.message);
    assert.ok((await bed.hookOutput(workDir, 'hooks.log')).includes('tick'));
    const backup = await bed.backup(cr.status?.lastBackup?.name ?? '');
    assert.equal(backup?.metadata.labels?.['velero.io/schedule-name'], cr.status?.scheduleName);
  });
});
