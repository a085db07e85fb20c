// Hooks that really run: preflight against the namespace's pods (HooksReady and status.hooks), what happens
// when a hook has no target (Proceed, Skip), backups graded by the hook executions they should have had,
// hook lint, and presets expanded into the Velero objects.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EventsV1Api } from '@kubernetes/client-node';
import { LABEL_MANAGED_BY, MANAGER_NAME } from '../../src/api/constants.ts';
import type { VeleroBackup, VeleroSchedule } from '../../src/api/velero.ts';
import { createFakePod, ensureNamespace } from '../support/fake-pods.ts';
import { OperatorTestbed, condition } from '../harness/operator-testbed.ts';
import { waitFor } from '../harness/wait.ts';

let bed: OperatorTestbed;

before(async () => {
  bed = await OperatorTestbed.start();
});
after(async () => {
  await bed?.stop();
});

async function eventReasons(namespace: string, name: string): Promise<string[]> {
  const events = await bed.cp.kubeConfig.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
  return events.items.filter((e) => e.regarding?.name === name).map((e) => `${e.type} ${e.reason}`);
}

const dbHook = {
  name: 'db',
  selector: { matchLabels: { app: 'db' } },
  container: 'db',
  pre: [{ command: ['sync'] }],
};

test('HooksReady tells, per pod, why a hook would not run, and turns True once it would', async () => {
  await bed.applyConsistentBackup('prefl', 'db', { schedule: '@daily', rpo: '48h', hooks: [dbHook] });
  const none = await bed.waitForStatus(
    'prefl',
    'db',
    'NoMatchingPods',
    (cr) => condition(cr, 'HooksReady')?.reason === 'NoMatchingPods',
  );
  assert.equal(condition(none, 'HooksReady')?.status, 'False');

  await createFakePod(bed.core, {
    namespace: 'prefl',
    name: 'db-0',
    labels: { app: 'db' },
    containers: ['sidecar'],
  });
  const wrong = await bed.waitForStatus(
    'prefl',
    'db',
    'ContainerNotFound',
    (cr) => condition(cr, 'HooksReady')?.reason === 'ContainerNotFound',
  );
  assert.match(condition(wrong, 'HooksReady')?.message ?? '', /db-0/);
  assert.deepEqual(wrong.status?.hooks?.[0]?.matchedPods, ['db-0']);

  await createFakePod(bed.core, {
    namespace: 'prefl',
    name: 'db-1',
    labels: { app: 'db' },
    containers: ['db'],
    phase: 'Pending',
  });
  await bed.core.deleteNamespacedPod({ namespace: 'prefl', name: 'db-0', gracePeriodSeconds: 0 });
  await bed.waitForStatus(
    'prefl',
    'db',
    'PodNotRunning',
    (cr) => condition(cr, 'HooksReady')?.reason === 'PodNotRunning',
  );

  await createFakePod(bed.core, {
    namespace: 'prefl',
    name: 'db-2',
    labels: { app: 'db' },
    containers: ['db'],
    annotations: { 'pre.hook.backup.velero.io/command': '["/bin/true"]' },
  });
  await bed.core.deleteNamespacedPod({ namespace: 'prefl', name: 'db-1', gracePeriodSeconds: 0 });
  const overridden = await bed.waitForStatus(
    'prefl',
    'db',
    'OverriddenByAnnotation',
    (cr) => condition(cr, 'HooksReady')?.reason === 'OverriddenByAnnotation',
  );
  assert.match(condition(overridden, 'HooksReady')?.message ?? '', /db-2/);

  await createFakePod(bed.core, {
    namespace: 'prefl',
    name: 'db-3',
    labels: { app: 'db' },
    containers: ['db'],
  });
  await bed.core.deleteNamespacedPod({ namespace: 'prefl', name: 'db-2', gracePeriodSeconds: 0 });
  const ready = await bed.waitForStatus(
    'prefl',
    'db',
    'HooksReady True',
    (cr) => condition(cr, 'HooksReady')?.status === 'True',
  );
  assert.deepEqual(ready.status?.hooks?.[0]?.matchedPods, ['db-3']);
  assert.equal(ready.status?.hooks?.[0]?.expectedExecutions, 1);
  const reasons = await eventReasons('prefl', 'db');
  assert.ok(reasons.includes('Warning NoMatchingPods'), reasons.join(', '));
});

test('onMissingHookTarget Proceed backs up anyway with a Warning, graded Inconsistent', async () => {
  await bed.applyConsistentBackup('proceed', 'once', { hooks: [dbHook] });
  const done = await bed.waitForStatus('proceed', 'once', 'backup graded', (cr) =>
    Boolean(cr.status?.lastBackup?.consistency),
  );
  assert.equal(done.status?.lastBackup?.consistency, 'Inconsistent');
  assert.equal(done.status?.lastBackup?.phase, 'Completed');
  const reasons = await eventReasons('proceed', 'once');
  assert.ok(reasons.includes('Warning HookTargetsMissing'), reasons.join(', '));
});

test('onMissingHookTarget Skip holds backups and pauses the Schedule until the targets return', async () => {
  await bed.applyConsistentBackup('skip', 'nightly', {
    schedule: '@daily',
    rpo: '48h',
    onMissingHookTarget: 'Skip',
    hooks: [dbHook],
  });
  await bed.applyConsistentBackup('skip', 'once', { onMissingHookTarget: 'Skip', hooks: [dbHook] });
  const held = await bed.waitForStatus(
    'skip',
    'once',
    'WaitingForHookTargets',
    (cr) => condition(cr, 'Ready')?.reason === 'WaitingForHookTargets',
  );
  assert.equal(held.status?.backupName, undefined);
  assert.deepEqual(await bed.ownedBy('backups', 'skip', 'once'), []);
  await waitFor(
    async () => (await bed.ownedBy<VeleroSchedule>('schedules', 'skip', 'nightly'))[0]?.spec.paused === true,
    {
      what: 'the Schedule paused while no pod is there',
    },
  );

  await createFakePod(bed.core, {
    namespace: 'skip',
    name: 'db-0',
    labels: { app: 'db' },
    containers: ['db'],
  });
  await waitFor(
    async () => (await bed.ownedBy<VeleroSchedule>('schedules', 'skip', 'nightly'))[0]?.spec.paused === false,
    {
      what: 'the Schedule resumed once the pod is there',
    },
  );
  const taken = await bed.waitForStatus(
    'skip',
    'once',
    'AppConsistent',
    (cr) => cr.status?.lastBackup?.consistency === 'AppConsistent',
  );
  assert.ok(taken.status?.backupName);
  assert.equal((await bed.ownedBy('backups', 'skip', 'once')).length, 1);
});

/** A Running pod labelled app=db with a container db, in a namespace made if missing. */
async function dbPod(namespace: string, name: string, annotations?: Record<string, string>) {
  await ensureNamespace(bed.core, namespace);
  await createFakePod(bed.core, { namespace, name, labels: { app: 'db' }, containers: ['db'], annotations });
}

/** The ConsistentBackup once its newest backup is graded (from Velero's records, for one with hooks). */
function graded(namespace: string, name: string, consistency?: string) {
  return bed.waitForStatus(namespace, name, `graded ${consistency ?? ''}`, (cr) =>
    consistency === undefined
      ? Boolean(cr.status?.lastBackup?.consistency)
      : cr.status?.lastBackup?.consistency === consistency,
  );
}

test("a pod that skipped a hook's action, or a hook that ran nowhere, is Inconsistent by Velero's log", async () => {
  await dbPod('missed', 'db-0');
  // db-1's own annotation replaces the spec's pre hooks in it (Velero's rule): db's pre action never runs there.
  await dbPod('missed', 'db-1', { 'pre.hook.backup.velero.io/command': '["/bin/sync"]' });
  await bed.applyConsistentBackup('missed', 'db', { hooks: [{ ...dbHook, post: [{ command: ['sync'] }] }] });
  const missed = await graded('missed', 'db');
  const [velero] = await bed.ownedBy<VeleroBackup>('backups', 'missed', 'db');
  assert.equal(velero?.status?.phase, 'Completed');
  // Velero counts 4 executions and no failure: only its log shows db ran 3 of its 4 actions.
  assert.deepEqual(velero?.status?.hookStatus, { hooksAttempted: 4 });
  assert.equal(missed.status?.lastBackup?.consistency, 'Inconsistent');
  assert.equal(condition(missed, 'LastBackupConsistent')?.reason, 'HooksMissed');
  assert.match(missed.status?.lastBackup?.message ?? '', /hook db ran 3 of 4/);
  assert.deepEqual(missed.status?.lastBackup?.evidence, {
    hooks: [
      { name: 'db', expected: 4, attempted: 3, failed: 0 },
      { name: '<from-annotation>', expected: 1, attempted: 1, failed: 0 },
    ],
    podsBackedUp: 2,
  });
  assert.equal(missed.status?.lastConsistentBackup, undefined);

  const cache = {
    name: 'cache',
    selector: { matchLabels: { app: 'cache' } },
    container: 'redis',
    pre: [{ command: ['sync'] }],
  };
  await bed.applyConsistentBackup('missed', 'db-and-cache', { hooks: [dbHook, cache] });
  const nowhere = await graded('missed', 'db-and-cache');
  assert.equal(nowhere.status?.lastBackup?.consistency, 'Inconsistent');
  assert.equal(condition(nowhere, 'LastBackupConsistent')?.reason, 'HookRanNowhere');
  assert.match(nowhere.status?.lastBackup?.message ?? '', /ran in no pod \(cache\)/);
  assert.deepEqual(
    nowhere.status?.lastBackup?.evidence?.hooks?.map((h) => [h.name, h.attempted]),
    [
      ['db', 1],
      ['cache', 0],
      ['<from-annotation>', 1],
    ],
  );
});

test("hooks' cbo. lines reach status; unreadable records grade a Completed backup Unverified until read", async () => {
  await dbPod('records', 'db-0');
  bed.standIn.setHookOutput((backup) =>
    backup.spec?.includedNamespaces?.includes('records')
      ? 'cbo.checkpoint preset=postgresql lsn=0/15B3D80'
      : undefined,
  );
  bed.standIn.failRecords((_backup, kind) => kind === 'BackupLog');
  try {
    await bed.applyConsistentBackup('records', 'db', { hooks: [dbHook] });
    const unverified = await graded('records', 'db', 'Unverified');
    assert.equal(condition(unverified, 'LastBackupConsistent')?.status, 'Unknown');
    assert.match(unverified.status?.lastBackup?.evidence?.unavailable ?? '', /HTTP 500/);
    assert.equal(unverified.status?.lastConsistentBackup, undefined, 'never a recovery point unverified');
    bed.standIn.failRecords();
    // The operator reads them again after its back-off (10 s after the first failure).
    const verified = await graded('records', 'db', 'AppConsistent');
    assert.deepEqual(verified.status?.lastBackup?.evidence, {
      hooks: [{ name: 'db', expected: 1, attempted: 1, failed: 0 }],
      podsBackedUp: 1,
      markers: ['db: cbo.checkpoint preset=postgresql lsn=0/15B3D80'],
    });
    assert.equal(verified.status?.lastConsistentBackup?.name, verified.status?.lastBackup?.name);
  } finally {
    bed.standIn.failRecords();
    bed.standIn.setHookOutput();
  }
  // The operator deletes each DownloadRequest it made once read (none is left to expire).
  const mine = `${LABEL_MANAGED_BY}=${MANAGER_NAME}`;
  await waitFor(async () => (await bed.standIn.api.list('downloadrequests', mine)).items.length === 0, {
    what: 'no DownloadRequest of the operator left behind',
  });
  assert.ok(
    bed.standIn.events.filter((e) => e.kind === 'download-request' && e.message.startsWith('Processed'))
      .length >= 6,
    'the records were read through DownloadRequests, twice for the backup whose log failed',
  );
});

test('hook lint warns about commands that cannot work as a one-shot exec, without refusing them', async () => {
  await bed.applyConsistentBackup('lint', 'db', {
    schedule: '@daily',
    hooks: [{ ...dbHook, pre: [{ command: ['mysql', '-e', 'FLUSH TABLES WITH READ LOCK'] }] }],
  });
  const cr = await bed.waitForStatus(
    'lint',
    'db',
    'HookCommandsSafe False',
    (c) => condition(c, 'HookCommandsSafe')?.status === 'False',
  );
  assert.equal(condition(cr, 'HookCommandsSafe')?.reason, 'UnsafeHookCommand');
  assert.match(condition(cr, 'HookCommandsSafe')?.message ?? '', /READ LOCK/i);
  assert.ok(cr.status?.scheduleName, 'still scheduled');
  await waitFor(async () => (await eventReasons('lint', 'db')).includes('Warning UnsafeHookCommand'), {
    what: 'an UnsafeHookCommand Warning',
  });
});

test('a preset expands into self-releasing shell hooks with explicit onError and timeouts', async () => {
  await bed.applyConsistentBackup('preset', 'maria', {
    schedule: '@daily',
    hooks: [
      {
        name: 'db',
        selector: { matchLabels: { app: 'mariadb' } },
        container: 'mariadb',
        preset: { name: 'mysql', freezeBudget: '60s' },
      },
    ],
  });
  await bed.waitForStatus('preset', 'maria', 'scheduleName', (c) => Boolean(c.status?.scheduleName));
  const [schedule] = await bed.ownedBy<VeleroSchedule>('schedules', 'preset', 'maria');
  const [resource] = schedule?.spec.template.hooks?.resources ?? [];
  const pre = resource?.pre?.[0]?.exec;
  const post = resource?.post?.[0]?.exec;
  assert.deepEqual(pre?.command.slice(0, 2), ['/bin/sh', '-c']);
  assert.match(pre?.command[2] ?? '', /FLUSH TABLES WITH READ LOCK/);
  assert.equal(pre?.onError, 'Fail');
  assert.equal(pre?.container, 'mariadb');
  assert.match(pre?.timeout ?? '', /^\d+s$/);
  assert.equal(post?.onError, 'Continue');
});
