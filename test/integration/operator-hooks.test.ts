// Hooks that really run: preflight against the namespace's pods (HooksReady and status.hooks), what happens
// when a hook has no target (Proceed, Skip), backups graded by the hook executions they should have had,
// hook lint, and presets expanded into the Velero objects.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EventsV1Api } from '@kubernetes/client-node';
import type { VeleroBackup, VeleroSchedule } from '../../src/api/velero.ts';
import { createFakePod } from '../support/fake-pods.ts';
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

test('a backup with fewer hook executions than pods matched when it started is Inconsistent, saying which', async () => {
  await bed.applyConsistentBackup('missed', 'db', { schedule: '@daily', rpo: '48h', hooks: [dbHook] });
  for (const name of ['db-0', 'db-1']) {
    await createFakePod(bed.core, { namespace: 'missed', name, labels: { app: 'db' }, containers: ['db'] });
  }
  const cr = await bed.waitForStatus(
    'missed',
    'db',
    'two pods matched',
    (c) => c.status?.hooks?.[0]?.matchedPodCount === 2,
  );
  // Another backup holds Velero, so this one waits in the queue while the operator records what it expects.
  const blocker = bed.standIn.holdBackups(
    (b) => b.metadata.labels?.['consistentbackup.io/namespace'] === 'blocker',
  );
  await bed.applyConsistentBackup('blocker', 'once', {});
  await blocker.reached();
  const backup = await bed.standIn.runSchedule(cr.status?.scheduleName ?? '');
  assert.ok(backup);
  await bed.waitForStatus(
    'missed',
    'db',
    'expectation recorded',
    (c) => c.status?.lastBackup?.expectedHookExecutions === 2,
  );
  await bed.core.deleteNamespacedPod({ namespace: 'missed', name: 'db-1', gracePeriodSeconds: 0 });
  await waitFor(async () => (await bed.core.listNamespacedPod({ namespace: 'missed' })).items.length === 1, {
    what: 'db-1 gone',
  });
  blocker.release();

  const graded = await bed.waitForStatus(
    'missed',
    'db',
    'graded',
    (c) => c.status?.lastBackup?.name === backup.metadata.name && Boolean(c.status.lastBackup.consistency),
  );
  const [velero] = (await bed.ownedBy<VeleroBackup>('backups', 'missed')).filter(
    (b) => b.metadata.name === backup.metadata.name,
  );
  assert.equal(velero?.status?.phase, 'Completed');
  assert.equal(velero?.status?.hookStatus?.hooksAttempted, 1);
  assert.equal(graded.status?.lastBackup?.consistency, 'Inconsistent');
  assert.match(graded.status?.lastBackup?.message ?? '', /attempted 1 of the 2 expected hook executions/);
  assert.match(graded.status?.lastBackup?.message ?? '', /db-0, db-1/);
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
