// What platform tooling sees of real runs on the real Velero: the Argo CD health of each state a
// ConsistentBackup goes through (evaluated live, and recorded as test data for test/platform with
// CBO_RECORD_SNAPSHOTS=1), and the recoverability metrics the operator exports after real graded backups.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import { RealVeleroTestbed } from '../harness/real-velero-testbed.ts';
import { argocdHealth } from '../harness/platform-tools.ts';
import { waitFor } from '../harness/wait.ts';

const snapshotDir = new URL('../platform/argocd-snapshots/', import.meta.url);
const record = process.env.CBO_RECORD_SNAPSHOTS === '1';

let bed: RealVeleroTestbed;
before(async () => {
  bed = await RealVeleroTestbed.start();
});
after(async () => {
  await bed?.stop();
});

const append = (word: string) => ['/bin/sh', '-c', `echo ${word} >> hooks.log`];
const hook = (pre: string[], onError: 'Fail' | 'Continue' = 'Fail') => ({
  name: 'db',
  selector: { matchLabels: { app: 'db' } },
  container: 'db',
  pre: [{ command: pre, onError }],
});

/** What the snapshot keeps: the object as Argo CD gets it, without server bookkeeping. */
function snapshot(cr: ConsistentBackup): ConsistentBackup {
  const { managedFields: _m, resourceVersion: _r, uid: _u, ...metadata } = cr.metadata ?? {};
  return { ...cr, metadata };
}

/** Waits for a state, checks its live Argo CD health and records it. */
async function expectHealth(
  namespace: string,
  name: string,
  state: string,
  ok: (cr: ConsistentBackup) => boolean,
  health: string,
  timeoutMs?: number,
): Promise<ConsistentBackup> {
  const cr = await bed.waitForStatus(namespace, name, state, ok, timeoutMs);
  const seen = await argocdHealth(cr);
  assert.equal(seen.status, health, `${state}: ${seen.message}\n${JSON.stringify(cr.status, null, 2)}`);
  if (record)
    await writeFile(new URL(`${state}.json`, snapshotDir), `${JSON.stringify(snapshot(cr), null, 2)}\n`);
  return cr;
}

const condition = (cr: ConsistentBackup, type: string) => cr.status?.conditions?.find((c) => c.type === type);

test('Argo CD health through real runs, and the metrics after real graded backups', async () => {
  const { namespace, workDir } = await bed.namespace('e2e-platform');
  await bed.startPod(namespace, 'db-0', { labels: { app: 'db' }, exec: { workDir } });

  // A one-shot whose hook takes a while: Progressing while it runs, Healthy once graded.
  await bed.applyConsistentBackup(namespace, 'before-upgrade', {
    hooks: [hook(['/bin/sh', '-c', 'sleep 3; echo one-shot >> hooks.log'])],
  });
  await expectHealth(
    namespace,
    'before-upgrade',
    'one-shot-running',
    (cr) => cr.status?.phase === 'Running',
    'Progressing',
  );
  await expectHealth(
    namespace,
    'before-upgrade',
    'one-shot-app-consistent',
    (cr) => cr.status?.phase === 'Completed',
    'Healthy',
  );

  // A one-shot whose pre hook fails: Velero ends PartiallyFailed, graded Inconsistent.
  await bed.applyConsistentBackup(namespace, 'hook-fails', { hooks: [hook(['/bin/sh', '-c', 'exit 3'])] });
  await expectHealth(
    namespace,
    'hook-fails',
    'one-shot-inconsistent',
    (cr) => cr.status?.phase === 'Failed',
    'Degraded',
  );

  // Scheduled, armed, hooks run: Healthy after a run-now.
  await bed.applyConsistentBackup(namespace, 'orders', {
    schedule: '0 3 * * *',
    rpo: '48h',
    hooks: [hook(append('pre'))],
  });
  await bed.runNow(namespace, 'orders', 'first');
  const orders = await expectHealth(
    namespace,
    'orders',
    'scheduled-rpo-met',
    (cr) => cr.status?.lastBackup?.consistency === 'AppConsistent' && cr.status.phase === 'Scheduled',
    'Healthy',
  );

  // Problems a human must fix. The cluster admin allows a location Velero does not have (yet).
  await bed.setClusterPolicy({ allowedStorageLocations: ['does-not-exist'] });
  await bed.applyOnceAdmitted(namespace, 'no-storage', {
    schedule: '0 3 * * *',
    velero: { storageLocation: 'does-not-exist' },
  });
  await expectHealth(
    namespace,
    'no-storage',
    'storage-location-missing',
    (cr) => condition(cr, 'StorageAvailable')?.status === 'False',
    'Degraded',
  );
  // kubectl get tells the truth without describe: the missing storage location is in the PROBLEM column.
  const table = await bed.kubectl(['get', '-n', namespace, 'cbk', 'no-storage']);
  assert.match(table.split('\n')[0] ?? '', /PROBLEM/);
  assert.match(table.split('\n')[1] ?? '', /StorageLocationNotFound/);
  await bed.applyConsistentBackup(namespace, 'bad-preset', {
    schedule: '0 3 * * *',
    hooks: [
      {
        name: 'db',
        selector: { matchLabels: { app: 'db' } },
        container: 'db',
        preset: { name: 'redis', parameters: { bogus: 'x' } },
      },
    ],
  });
  await expectHealth(namespace, 'bad-preset', 'invalid', (cr) => cr.status?.phase === 'Invalid', 'Degraded');
  await bed.applyConsistentBackup(namespace, 'unachievable', { schedule: '0 3 * * *', rpo: '1h' });
  await expectHealth(
    namespace,
    'unachievable',
    'rpo-unachievable',
    (cr) => condition(cr, 'RPOAchievable')?.status === 'False',
    'Degraded',
  );
  await bed.applyConsistentBackup(namespace, 'paused', { schedule: '0 3 * * *', suspend: true });
  await expectHealth(namespace, 'paused', 'suspended', (cr) => cr.status?.phase === 'Suspended', 'Suspended');

  // Hooks failing at every run of an every-minute schedule: inconsistent again and again, then the rpo breaks.
  await bed.applyConsistentBackup(namespace, 'failing', {
    schedule: '* * * * *',
    rpo: '2m',
    hooks: [hook(['/bin/sh', '-c', 'exit 4'])],
  });
  const failing = await expectHealth(
    namespace,
    'failing',
    'hooks-failing-rpo-breached',
    (cr) =>
      condition(cr, 'RPOMet')?.status === 'False' &&
      (cr.status?.history ?? []).filter((h) => h.consistency === 'Inconsistent').length >= 2,
    'Degraded',
    240_000,
  );

  // The operator's /metrics, as Prometheus scrapes them.
  const body = (await bed.operator.get('/metrics')).body;
  const sample = (metric: string, name: string, extra = '') =>
    body
      .split('\n')
      .find((l) => l.startsWith(`${metric}{namespace="${namespace}",name="${name}"${extra}}`))
      ?.split(' ')[1];
  assert.equal(sample('consistentbackup_rpo_target_seconds', 'orders'), '172800');
  assert.equal(sample('consistentbackup_rpo_met', 'orders'), '1');
  assert.equal(sample('consistentbackup_last_backup_grade', 'orders', ',grade="AppConsistent"'), '1');
  assert.equal(sample('consistentbackup_backups_graded_total', 'orders', ',grade="AppConsistent"'), '1');
  assert.equal(
    Number(sample('consistentbackup_recovery_point_timestamp_seconds', 'orders')),
    Date.parse(orders.status?.rpo?.recoveryPoint ?? '') / 1000,
  );
  assert.ok(Number(sample('consistentbackup_rpo_deadline_remaining_seconds', 'orders')) > 0);
  assert.equal(sample('consistentbackup_rpo_met', 'failing'), '0');
  assert.ok(Number(sample('consistentbackup_rpo_deadline_remaining_seconds', 'failing')) < 0);
  assert.ok(Number(sample('consistentbackup_consecutive_inconsistent_backups', 'failing')) >= 2);
  assert.ok(Number(sample('consistentbackup_hook_executions_failed_total', 'failing')) >= 2);
  const inconsistentCount = Number(
    sample('consistentbackup_backups_graded_total', 'failing', ',grade="Inconsistent"'),
  );
  assert.ok(
    inconsistentCount >= 2,
    `graded Inconsistent: ${inconsistentCount}\n${JSON.stringify(failing.status?.history)}`,
  );
  assert.equal(sample('consistentbackup_backups_graded_total', 'hook-fails', ',grade="Inconsistent"'), '1');
  if (record) await writeFile(new URL('../recorded-metrics.prom', snapshotDir), `${body}`);

  // The ConsistentBackup goes, and so do its series.
  await bed.kubectl(['delete', '-n', namespace, 'consistentbackup', 'failing', '--wait=true']);
  await waitFor(
    async () => !(await bed.operator.get('/metrics')).body.includes(`name="failing"`) || undefined,
    { what: 'series of the deleted ConsistentBackup gone', timeoutMs: 30_000 },
  );
});
