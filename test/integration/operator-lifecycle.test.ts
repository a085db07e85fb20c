// The operator as users drive it: kubectl apply, a Velero server (here the stand-in) taking backups, and the
// ConsistentBackup's status, Events and `kubectl get` telling whether the data is safe.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { EventsV1Api } from '@kubernetes/client-node';
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

async function warningEvents(namespace: string, name: string, reason: string) {
  const events = await bed.cp.kubeConfig.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
  return events.items.filter(
    (e) => e.regarding?.name === name && e.reason === reason && e.type === 'Warning',
  );
}

async function scheduleOf(namespace: string, name: string): Promise<VeleroSchedule> {
  const [schedule, ...more] = await bed.ownedBy<VeleroSchedule>('schedules', namespace, name);
  assert.ok(schedule, `a Schedule for ${namespace}/${name}`);
  assert.equal(more.length, 0, 'exactly one Schedule');
  return schedule;
}

test('kubectl apply of the example makes a Schedule with exactly the declared hooks; a backup makes it AppConsistent', async () => {
  await ensureNamespace(bed.core, 'shop');
  await createFakePod(bed.core, {
    namespace: 'shop',
    name: 'orders-db-0',
    labels: { app: 'orders-db' },
    containers: ['postgres'],
  });
  await bed.kubectl(
    ['apply', '-n', 'shop', '-f', '-'],
    await readFile('examples/scheduled-postgresql.yaml', 'utf8'),
  );

  const pending = await bed.waitForStatus('shop', 'orders-db-nightly', 'scheduleName set', (cr) =>
    Boolean(cr.status?.scheduleName),
  );
  const schedule = await scheduleOf('shop', 'orders-db-nightly');
  assert.equal(schedule.metadata.name, pending.status?.scheduleName);
  assert.equal(schedule.spec.schedule, 'CRON_TZ=Europe/Berlin 30 1 * * *');
  assert.deepEqual(schedule.spec.template.includedNamespaces, ['shop']);
  assert.deepEqual(schedule.spec.template.hooks?.resources, [
    {
      name: 'checkpoint',
      includedNamespaces: ['shop'],
      labelSelector: { matchLabels: { app: 'orders-db' } },
      pre: [
        {
          exec: {
            container: 'postgres',
            command: ['/bin/sh', '-c', 'psql -U "$POSTGRES_USER" -d postgres -c CHECKPOINT'],
            onError: 'Fail',
            timeout: '2m',
          },
        },
      ],
    },
  ]);

  const backup = await bed.standIn.runSchedule(schedule.metadata.name ?? '');
  assert.ok(backup, 'the stand-in ran the schedule');
  const done = await bed.waitForStatus(
    'shop',
    'orders-db-nightly',
    'AppConsistent backup',
    (cr) =>
      cr.status?.lastBackup?.name === backup.metadata.name &&
      cr.status.lastBackup.consistency === 'AppConsistent',
  );
  const [finished] = (await bed.ownedBy<VeleroBackup>('backups', 'shop')).filter(
    (b) => b.metadata.name === backup.metadata.name,
  );
  assert.equal(done.status?.lastBackup?.phase, 'Completed');
  assert.equal(done.status?.lastBackup?.hooksAttempted, 1);
  assert.equal(done.status?.lastBackup?.hooksFailed ?? 0, 0);
  assert.equal(done.status?.lastConsistentBackup?.name, backup.metadata.name);
  assert.equal(done.status?.rpo?.recoveryPoint, finished?.status?.startTimestamp);
  assert.equal(condition(done, 'RPOMet')?.status, 'True');
  assert.equal(done.status?.observedGeneration, done.metadata?.generation);

  const table = await bed.kubectl(['get', 'cbk', '-n', 'shop']);
  const [header, row] = table.trim().split('\n');
  assert.match(
    header ?? '',
    /^NAME\s+SCHEDULE\s+PHASE\s+LAST RUN\s+CONSISTENCY\s+RPO MET\s+RECOVERY POINT\s+NEXT RUN\s+PROBLEM\s+AGE$/,
  );
  assert.match(
    row ?? '',
    /^orders-db-nightly\s+30 1 \* \* \*\s+Scheduled\s+Completed\s+AppConsistent\s+True\s+\d+s\s+/,
  );
});

test('a backup whose hooks failed is Inconsistent, leaves the recovery point alone and raises a Warning', async () => {
  const before = await bed.consistentBackup('shop', 'orders-db-nightly');
  bed.standIn.failHooks(() => true);
  try {
    const schedule = await scheduleOf('shop', 'orders-db-nightly');
    const backup = await bed.standIn.runSchedule(schedule.metadata.name ?? '', new Date(Date.now() + 60_000));
    assert.ok(backup);
    const after = await bed.waitForStatus(
      'shop',
      'orders-db-nightly',
      'Inconsistent backup',
      (cr) =>
        cr.status?.lastBackup?.name === backup.metadata.name &&
        cr.status.lastBackup.consistency === 'Inconsistent',
    );
    assert.equal(after.status?.lastBackup?.phase, 'PartiallyFailed');
    assert.equal(after.status?.lastBackup?.hooksFailed, 1);
    assert.match(after.status?.lastBackup?.message ?? '', /PartiallyFailed/);
    assert.equal(after.status?.lastConsistentBackup?.name, before.status?.lastConsistentBackup?.name);
    assert.equal(after.status?.rpo?.recoveryPoint, before.status?.rpo?.recoveryPoint);
    assert.equal(condition(after, 'LastBackupConsistent')?.status, 'False');
    const warnings = await waitFor(
      async () => {
        const found = await warningEvents('shop', 'orders-db-nightly', 'BackupInconsistent');
        return found.length > 0 && found;
      },
      { what: 'a BackupInconsistent Warning event' },
    );
    assert.match(warnings[0]?.note ?? '', new RegExp(backup.metadata.name ?? ''));
  } finally {
    bed.standIn.failHooks();
  }
});

/** `kubectl patch` of the example's spec, as a user changes it. */
async function patchNightly(spec: Record<string, unknown>): Promise<void> {
  await bed.kubectl([
    'patch',
    'cbk',
    '-n',
    'shop',
    'orders-db-nightly',
    '--type=merge',
    '-p',
    JSON.stringify({ spec }),
  ]);
}

test('a spec change updates the Schedule and suspend pauses it', async () => {
  await patchNightly({ schedule: '15 3 * * *' });
  await waitFor(
    async () =>
      (await scheduleOf('shop', 'orders-db-nightly')).spec.schedule === 'CRON_TZ=Europe/Berlin 15 3 * * *',
    {
      what: 'the Schedule to follow the new cron',
    },
  );
  await patchNightly({ suspend: true });
  await waitFor(async () => (await scheduleOf('shop', 'orders-db-nightly')).spec.paused === true, {
    what: 'the Schedule to be paused',
  });
  const suspended = await bed.waitForStatus(
    'shop',
    'orders-db-nightly',
    'phase Suspended',
    (cr) => cr.status?.phase === 'Suspended',
  );
  assert.equal(suspended.status?.nextBackupTime, undefined);
  await patchNightly({ suspend: false });
  await waitFor(async () => (await scheduleOf('shop', 'orders-db-nightly')).spec.paused === false, {
    what: 'the Schedule to be resumed',
  });
});

test('a storage location reaches the ConsistentBackups that use it, by name or as the default', async () => {
  await bed.standIn.ensureStorageLocation('archive', { phase: 'Available' });
  // The cluster admin allows the second location.
  await bed.setClusterPolicy({ allowedStorageLocations: ['archive'] });
  const spec = (velero?: object) => ({ schedule: '0 1 * * *', rpo: '26h', ...(velero && { velero }) });
  await bed.applyConsistentBackup('storage', 'on-default', spec());
  await bed.applyOnceAdmitted('storage', 'on-archive', spec({ storageLocation: 'archive' }));
  const storage = (name: string, status: string) =>
    bed.waitForStatus(
      'storage',
      name,
      `StorageAvailable ${status}`,
      (cr) => condition(cr, 'StorageAvailable')?.status === status,
    );
  await storage('on-default', 'True');
  await storage('on-archive', 'True');

  await bed.standIn.setStorageLocationPhase('default', 'Unavailable');
  const unavailable = await storage('on-default', 'False');
  assert.equal(condition(unavailable, 'StorageAvailable')?.reason, 'StorageLocationUnavailable');
  assert.equal(
    condition(await bed.consistentBackup('storage', 'on-archive'), 'StorageAvailable')?.status,
    'True',
  );

  await bed.standIn.setStorageLocationPhase('archive', 'Unavailable');
  await storage('on-archive', 'False');
  await bed.standIn.setStorageLocationPhase('archive', 'Available');
  await bed.standIn.setStorageLocationPhase('default', 'Available');
  await storage('on-archive', 'True');
  await storage('on-default', 'True');
});

test('a run-now token makes exactly one Backup, also when set again', async () => {
  const runNowBackups = async () =>
    (await bed.ownedBy<VeleroBackup>('backups', 'shop', 'orders-db-nightly')).filter(
      (b) => b.metadata.annotations?.['consistentbackup.io/run-token'] === 'before-migration',
    );
  await bed.kubectl([
    'annotate',
    'cbk',
    '-n',
    'shop',
    'orders-db-nightly',
    'consistentbackup.io/run-now=before-migration',
  ]);
  const cr = await bed.waitForStatus('shop', 'orders-db-nightly', 'token processed', (c) =>
    (c.status?.processedRunTokens ?? []).includes('before-migration'),
  );
  const [backup, ...more] = await runNowBackups();
  assert.ok(backup);
  assert.equal(more.length, 0);
  assert.equal(backup.metadata.labels?.['velero.io/schedule-name'], cr.status?.scheduleName);
  assert.equal(backup.metadata.labels?.['consistentbackup.io/trigger'], 'run-now');
  // The same token again, and an unrelated change that makes the operator reconcile: still one Backup.
  await bed.kubectl([
    'annotate',
    '--overwrite',
    'cbk',
    '-n',
    'shop',
    'orders-db-nightly',
    'consistentbackup.io/run-now=before-migration',
  ]);
  await bed.kubectl(['label', 'cbk', '-n', 'shop', 'orders-db-nightly', 'touched=yes']);
  await bed.waitForStatus(
    'shop',
    'orders-db-nightly',
    'run-now backup graded',
    (c) =>
      c.status?.history?.some((h) => h.name === backup.metadata.name && h.consistency !== undefined) ?? false,
  );
  assert.equal((await runNowBackups()).length, 1);
});

test('RPOMet flips to False at the deadline by requeue, and back to True after a consistent backup', async () => {
  bed.standIn.failNextBackups({
    phase: 'Failed',
    count: 1,
    match: (b) => b.metadata.labels?.['consistentbackup.io/namespace'] === 'ledger',
  });
  await bed.applyConsistentBackup('ledger', 'ledger', { rpo: '1m' });
  const failed = await bed.waitForStatus(
    'ledger',
    'ledger',
    'failed one-shot backup',
    (cr) => cr.status?.lastBackup?.phase === 'Failed',
  );
  assert.equal(failed.status?.lastBackup?.consistency, 'Inconsistent');
  assert.equal(
    condition(failed, 'RPOMet')?.status,
    'True',
    'the rpo counts from creation until the first success',
  );

  const breached = await bed.waitForStatus(
    'ledger',
    'ledger',
    'RPOMet False',
    (cr) => condition(cr, 'RPOMet')?.status === 'False',
    90_000,
  );
  const deadline = Date.parse(breached.status?.rpo?.deadline ?? '');
  const flippedAt = Date.parse(condition(breached, 'RPOMet')?.lastTransitionTime ?? '');
  // lastTransitionTime has whole seconds: the flip lies in the second of the deadline or the next.
  assert.ok(
    flippedAt >= Math.floor(deadline / 1000) * 1000,
    `flipped at ${flippedAt}, not before the deadline ${deadline}`,
  );
  assert.ok(
    flippedAt <= deadline + 1000,
    `flipped at ${new Date(flippedAt).toISOString()}, within 1 s of ${new Date(deadline).toISOString()}`,
  );
  assert.equal(breached.status?.rpo?.met, false);
  await waitFor(async () => (await warningEvents('ledger', 'ledger', 'RPOBreached')).length === 1, {
    what: 'an RPOBreached Warning',
  });

  await bed.kubectl(['annotate', 'cbk', '-n', 'ledger', 'ledger', 'consistentbackup.io/run-now=recover-1']);
  const restored = await bed.waitForStatus(
    'ledger',
    'ledger',
    'RPOMet True again',
    (cr) => condition(cr, 'RPOMet')?.status === 'True',
  );
  assert.equal(restored.status?.lastBackup?.consistency, 'CrashConsistent');
  assert.ok(restored.status?.rpo?.recoveryPoint);
});

test('an invalid spec gets a condition and no Velero object', async () => {
  await bed.applyConsistentBackup('typo', 'mars', {
    schedule: '0 2 * * *',
    timeZone: 'Mars/Olympus_Mons',
    rpo: '26h',
  });
  const invalid = await bed.waitForStatus(
    'typo',
    'mars',
    'Ready False',
    (cr) => condition(cr, 'Ready')?.status === 'False',
  );
  assert.equal(invalid.status?.phase, 'Invalid');
  assert.match(condition(invalid, 'Ready')?.message ?? '', /spec\.timeZone/);
  assert.deepEqual(await bed.ownedBy('schedules', 'typo'), []);
  assert.deepEqual(await bed.ownedBy('backups', 'typo'), []);
});

test('deleting removes the Schedule; deletionPolicy Delete also deletes the backups through Velero', async () => {
  await bed.applyConsistentBackup('tmp', 'scratch', {
    schedule: '@daily',
    rpo: '48h',
    deletionPolicy: 'Delete',
  });
  const cr = await bed.waitForStatus('tmp', 'scratch', 'scheduleName set', (c) =>
    Boolean(c.status?.scheduleName),
  );
  const backup = await waitFor(() => bed.standIn.runSchedule(cr.status?.scheduleName ?? ''), {
    what: 'a scheduled backup',
  });
  await bed.waitForStatus(
    'tmp',
    'scratch',
    'backup graded',
    (c) => c.status?.lastBackup?.name === backup.metadata.name && Boolean(c.status.lastBackup.consistency),
  );

  await bed.kubectl(['delete', 'cbk', '-n', 'tmp', 'scratch', '--wait=true', '--timeout=60s']);
  assert.deepEqual(await bed.ownedBy('schedules', 'tmp'), []);
  assert.deepEqual(await bed.ownedBy('backups', 'tmp'), []);

  // Retain (the default): the Schedule goes, the backups stay.
  const kept = await bed.ownedBy('backups', 'shop', 'orders-db-nightly');
  assert.ok(kept.length >= 2);
  await bed.kubectl(['delete', 'cbk', '-n', 'shop', 'orders-db-nightly', '--wait=true', '--timeout=60s']);
  assert.deepEqual(await bed.ownedBy('schedules', 'shop'), []);
  assert.equal((await bed.ownedBy('backups', 'shop', 'orders-db-nightly')).length, kept.length);
});
