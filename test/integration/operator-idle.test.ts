// Level-triggered, no periodic writes: once 50 ConsistentBackups have settled, the operator (leader-elected,
// under its deploy/ service account) writes nothing to the API server but its Lease renewals. Counted from
// the kube-apiserver's audit log, so every write counts, whatever code path made it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import { writesBy } from '../harness/audit-log.ts';
import {
  HOOK_TARGET,
  OPERATOR_NAMESPACE,
  OPERATOR_USER,
  asList,
  quietProbe,
  readLease,
  scheduledBackup,
} from '../harness/operator-fixtures.ts';
import { OperatorTestbed } from '../harness/operator-testbed.ts';
import { waitFor } from '../harness/wait.ts';
import { createFakePod, ensureNamespace } from '../support/fake-pods.ts';

const NAMESPACE = 'idle';
const COUNT = 50;
/** Of the 50, these also get a backup, so that graded status (history, recovery point) is idle too. */
const WITH_BACKUP = 10;
const WINDOW_MS = 60_000;

let bed: OperatorTestbed;

before(async () => {
  // The Lease goes where the Deployment puts it (POD_NAMESPACE), the only place deploy/ RBAC allows.
  bed = await OperatorTestbed.start(['--leader-elect', `--leader-election-namespace=${OPERATOR_NAMESPACE}`]);
});
after(async () => {
  await bed?.stop();
});

const names = Array.from({ length: COUNT }, (_, i) => `app-${String(i).padStart(2, '0')}`);

async function listConsistentBackups(): Promise<ConsistentBackup[]> {
  const list = (await bed.cp.kubeConfig.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: 'consistentbackup.io',
    version: 'v1alpha1',
    namespace: NAMESPACE,
    plural: 'consistentbackups',
  })) as { items: ConsistentBackup[] };
  return list.items;
}

/** Settled: the Schedule is Enabled, the status says so for the current generation, and nothing is amiss. */
function settled(cr: ConsistentBackup, backups: Map<string, string>): boolean {
  const ready = cr.status?.conditions?.find((c) => c.type === 'Ready');
  const backup = backups.get(cr.metadata?.name ?? '');
  return (
    cr.status?.observedGeneration === cr.metadata?.generation &&
    cr.status?.phase === 'Scheduled' &&
    ready?.status === 'True' &&
    !cr.status.conditions?.some((c) => c.status === 'False') &&
    (backup === undefined || (cr.status?.lastBackup?.name === backup && !!cr.status.lastBackup.consistency))
  );
}

function summary(cr: ConsistentBackup): string {
  const conditions = cr.status?.conditions?.map((c) => `${c.type}=${c.status} (${c.reason})`);
  return `${cr.metadata?.name}: phase ${cr.status?.phase}, ${conditions?.join(', ')}`;
}

function tally(writes: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const w of writes) {
    const [verb, resource] = w.split(' ');
    const key = `${verb} ${resource}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

test('with 50 ConsistentBackups settled the operator writes nothing but Lease renewals for 60 s', async () => {
  const settlingStart = new Date();
  await ensureNamespace(bed.core, NAMESPACE);
  await createFakePod(bed.core, {
    namespace: NAMESPACE,
    name: 'db-0',
    labels: HOOK_TARGET.labels,
    containers: [HOOK_TARGET.container],
  });
  await bed.kubectl(['apply', '-f', '-'], asList(names.map((n) => scheduledBackup(NAMESPACE, n))));

  // Every Schedule exists once; the stand-in runs some of them, as Velero would at their cron time.
  const schedules = await waitFor(
    async () => {
      const found = await bed.ownedBy('schedules', NAMESPACE);
      return found.length === COUNT && found;
    },
    { what: `${COUNT} Schedules`, timeoutMs: 120_000 },
  );
  const backups = new Map<string, string>();
  for (const schedule of schedules.slice(0, WITH_BACKUP)) {
    const owner = schedule.metadata.labels?.['consistentbackup.io/name'] ?? '';
    const backup = await waitFor(() => bed.standIn.runSchedule(schedule.metadata.name ?? ''), {
      what: `a backup of ${schedule.metadata.name}`,
    });
    backups.set(owner, backup.metadata.name ?? '');
  }

  await waitFor(
    async () => {
      const crs = await listConsistentBackups();
      const unsettled = crs.filter((cr) => !settled(cr, backups));
      // Thrown, so that a timeout says which one is stuck where.
      if (unsettled[0]) throw new Error(`${unsettled.length} unsettled, e.g. ${summary(unsettled[0])}`);
      return crs.length === COUNT;
    },
    { what: `${COUNT} settled ConsistentBackups`, timeoutMs: 120_000, intervalMs: 500 },
  );
  assert.equal((await bed.ownedBy('schedules', NAMESPACE)).length, COUNT, 'one Schedule each');
  // The operator's own account of having nothing left: empty queue, idle workers, no reconcile since.
  await waitFor(quietProbe(bed.operator), { what: 'the operator to go quiet', intervalMs: 2000 });
  const lease = await readLease(bed.cp);
  assert.ok(lease?.spec?.holderIdentity, 'the operator holds the Lease');

  // Read at the window's start: what the operator wrote while the 50 settled.
  const windowStart = new Date();
  const settlingWrites = await writesBy(bed.cp.auditLogPath, OPERATOR_USER, settlingStart);
  await sleep(WINDOW_MS);
  const idleWrites = await writesBy(bed.cp.auditLogPath, OPERATOR_USER, windowStart);
  const isLease = (write: string) => write.split(' ')[1] === 'leases';
  const leaseRenewals = idleWrites.filter(isLease);
  const otherWrites = idleWrites.filter((w) => !isLease(w));

  console.log(
    `settling ${COUNT} ConsistentBackups (${WITH_BACKUP} with a backup): ${settlingWrites.length} writes by the operator`,
    tally(settlingWrites),
  );
  console.log(
    `idle ${WINDOW_MS / 1000} s: ${otherWrites.length} writes besides ${leaseRenewals.length} Lease renewals`,
  );
  assert.ok(leaseRenewals.length > 0, 'the leader renewed its Lease (the audit log sees the operator)');
  assert.deepEqual(otherWrites, [], `writes while idle:\n${otherWrites.join('\n')}`);
  assert.equal(bed.operator.running, true);
});
