// The operator under faults, run as production runs it (a child process under its deploy/ service account):
// killed mid-reconcile, the API server restarted under it, two replicas electing one leader, a leader killed
// and one stopped gracefully. The tests run in order and share one control plane and Velero stand-in.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import type { VeleroBackup, VeleroSchedule } from '../../src/api/velero.ts';
import {
  asList,
  explained,
  logged,
  metricValue,
  oneShotBackup,
  quietProbe,
  readLease,
  replicaEnv,
  scheduledBackup,
} from '../harness/operator-fixtures.ts';
import { operatorKubeconfig, waitForAdmissionPolicies } from '../harness/operator-identity.ts';
import { OperatorProcess } from '../harness/operator-process.ts';
import { OperatorTestbed } from '../harness/operator-testbed.ts';
import { waitFor } from '../harness/wait.ts';
import { ensureNamespace } from '../support/fake-pods.ts';

let bed: OperatorTestbed;
let kubeconfigPath: string;
/** Every operator process a test started, so that `after` stops the ones still running. */
const operators: OperatorProcess[] = [];

before(async () => {
  // The testbed's own operator (one replica, no leader election) is the first one the tests kill.
  bed = await OperatorTestbed.start();
  operators.push(bed.operator);
  kubeconfigPath = await operatorKubeconfig(bed.cp);
});
after(async () => {
  for (const operator of operators) await operator.stop();
  await bed?.stop();
});

async function startOperator(args: string[] = [], env?: NodeJS.ProcessEnv): Promise<OperatorProcess> {
  const operator = await new OperatorProcess({ kubeconfigPath, args, ...(env && { env }) }).start();
  operators.push(operator);
  return operator;
}

/** Leader-elected replicas by pod name (their Lease identity). */
const replicas = new Map<string, OperatorProcess>();

/** A replica as deploy/deployment.yaml runs it: leader-elected, its pod name as identity. */
async function startReplica(podName: string): Promise<OperatorProcess> {
  const replica = await startOperator(['--leader-elect'], replicaEnv(podName));
  replicas.set(podName, replica);
  return replica;
}

async function ready(operator: OperatorProcess): Promise<void> {
  await waitFor(async () => (await operator.get('/readyz')).status === 200, {
    what: 'the operator to be ready',
    timeoutMs: 60_000,
  });
}

const RUN_NOW = 'consistentbackup.io/run-now';
const RUN_TOKEN = 'consistentbackup.io/run-token';
const token = (cr: ConsistentBackup) => cr.metadata?.annotations?.[RUN_NOW] ?? '';

/** Whether the status records everything the operator made for this ConsistentBackup. */
function recorded(cr: ConsistentBackup): boolean {
  const status = cr.status;
  return (
    status?.observedGeneration === cr.metadata?.generation &&
    (status?.processedRunTokens ?? []).includes(token(cr)) &&
    (cr.spec.schedule ? Boolean(status?.scheduleName) : Boolean(status?.backupName))
  );
}

/** How far each ConsistentBackup of a namespace got, at the moment of a kill (for the log). */
async function stages(namespace: string, crs: ConsistentBackup[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const backups = await bed.ownedBy<VeleroBackup>('backups', namespace);
  const schedules = await bed.ownedBy<VeleroSchedule>('schedules', namespace);
  for (const { metadata } of crs) {
    const cr = await bed.consistentBackup(namespace, metadata?.name ?? '');
    const made = [...backups, ...schedules].filter(
      (o) => o.metadata.labels?.['consistentbackup.io/name'] === metadata?.name,
    );
    const stage = !cr.metadata?.finalizers?.length
      ? 'untouched'
      : made.length === 0
        ? 'finalizer only'
        : recorded(cr)
          ? 'all in status'
          : 'Velero objects made, not all in status';
    counts[stage] = (counts[stage] ?? 0) + 1;
  }
  return counts;
}

/** Exactly the Velero objects one ConsistentBackup should have: one per one-shot and per token, one Schedule. */
async function assertNoDuplicates(namespace: string, cr: ConsistentBackup): Promise<void> {
  const name = cr.metadata?.name ?? '';
  const backups = await bed.ownedBy<VeleroBackup>('backups', namespace, name);
  const schedules = await bed.ownedBy('schedules', namespace, name);
  const byTrigger = (trigger: string) =>
    backups.filter((b) => b.metadata.labels?.['consistentbackup.io/trigger'] === trigger);
  const what = `${namespace}/${name}: ${backups.map((b) => b.metadata.name).join(', ')}`;
  assert.equal(schedules.length, cr.spec.schedule ? 1 : 0, `Schedules of ${namespace}/${name}`);
  assert.equal(byTrigger('one-shot').length, cr.spec.schedule ? 0 : 1, `one-shot Backups of ${what}`);
  const runNow = byTrigger('run-now');
  assert.equal(runNow.length, 1, `run-now Backups of ${what}`);
  assert.equal(runNow[0]?.metadata.annotations?.[RUN_TOKEN], token(cr));
  assert.equal(backups.length, cr.spec.schedule ? 1 : 2, `Backups of ${what}`);
}

const WRITES = new Set([
  'added finalizer',
  'created Velero Backup',
  'created Velero Schedule',
  'status updated',
]);

/** The operator logged a write; or it has nothing to write and reconciled all 8 ConsistentBackups of `namespace`. */
function firstWriteOrDone(operator: OperatorProcess, namespace: string): boolean {
  const reconciled = new Set(
    logged(operator, 'reconciled')
      .map((l) => String(l.key))
      .filter((key) => key.startsWith(`${namespace}/`)),
  );
  return operator.logs.some((l) => WRITES.has(String(l.message))) || reconciled.size === 8;
}

/** SIGKILLs `operator` once `when` holds, polling fast so the kill lands in the middle of the work. */
async function killWhen(operator: OperatorProcess, what: string, when: () => boolean | Promise<boolean>) {
  await explained([operator], waitFor(when, { what, timeoutMs: 60_000, intervalMs: 5 }));
  await operator.stop('SIGKILL');
}

test('SIGKILL mid-reconcile and restart: one Backup per one-shot and per token, one Schedule each', async () => {
  let operator = bed.operator;
  // Each round kills twice: once the k-th Backup of the round exists (so that the other ConsistentBackups of
  // the round are at every stage), and again as soon as the restarted operator writes anything. Counting by
  // owner labels, not by name, also catches a second Backup under another name.
  for (const [round, k] of [1, 4, 8, 12].entries()) {
    const namespace = `crash-${round}`;
    await ensureNamespace(bed.core, namespace);
    const crs = [0, 1, 2, 3].flatMap((i) => [
      oneShotBackup(namespace, `once-${i}`, `token-${round}-${i}`),
      scheduledBackup(namespace, `cron-${i}`, `token-${round}-${i}`),
    ]);
    await bed.kubectl(['apply', '-f', '-'], asList(crs));

    await killWhen(
      operator,
      `Backup ${k} of round ${round}`,
      async () => (await bed.ownedBy('backups', namespace)).length >= k,
    );
    console.log(`round ${round}: killed at Backup ${k}:`, await stages(namespace, crs));
    operator = await startOperator();
    const restarted = operator;
    await killWhen(restarted, 'a write of the restarted operator', () =>
      firstWriteOrDone(restarted, namespace),
    );
    console.log(`round ${round}: killed at its first write after restart:`, await stages(namespace, crs));
    operator = await startOperator();

    const allRecorded = async () => {
      const live = await Promise.all(
        crs.map((cr) => bed.consistentBackup(namespace, cr.metadata?.name ?? '')),
      );
      return live.every(recorded);
    };
    await explained(
      [operator],
      waitFor(allRecorded, { what: `round ${round} recorded in status`, timeoutMs: 60_000 }),
    );
    // Nothing more to come: a late duplicate would show up before the queue runs dry.
    await waitFor(quietProbe(operator), { what: 'the operator to go quiet', intervalMs: 1000 });
    for (const cr of crs) await assertNoDuplicates(namespace, cr);
  }
});

test('the API server restarts under the operator: informers recover, old and new objects reconcile', async () => {
  const operator = operators.find((o) => o.running) ?? (await startOperator());
  await ready(operator);
  const warningsBefore = operator.logs.filter((l) => l.level === 'warn').length;

  await bed.cp.restartApiServer();
  // Fail closed: until the restarted API server finds the ConsistentBackupPolicy kind again, the admission
  // policies refuse every ConsistentBackup.
  await waitForAdmissionPolicies(bed.cp, 180_000);

  await ensureNamespace(bed.core, 'after-restart');
  await bed.kubectl(['apply', '-f', '-'], asList([scheduledBackup('after-restart', 'fresh')]));
  const fresh = await explained(
    [operator],
    bed.waitForStatus(
      'after-restart',
      'fresh',
      'scheduleName set',
      (cr) => Boolean(cr.status?.scheduleName),
      120_000,
    ),
  );
  const [schedule] = await bed.ownedBy('schedules', 'after-restart', 'fresh');
  assert.equal(schedule?.metadata.name, fresh.status?.scheduleName);
  assert.equal(fresh.status?.observedGeneration, fresh.metadata?.generation);

  // An object from before the restart is still watched: a spec change reaches its Schedule.
  await bed.kubectl([
    'patch',
    'cbk',
    '-n',
    'crash-0',
    'cron-0',
    '--type=merge',
    '-p',
    '{"spec":{"suspend":true}}',
  ]);
  await waitFor(
    async () =>
      (await bed.ownedBy<VeleroSchedule>('schedules', 'crash-0', 'cron-0'))[0]?.spec.paused === true,
    {
      what: 'the Schedule of crash-0/cron-0 to be paused',
      timeoutMs: 120_000,
    },
  );

  assert.ok(operator.running, 'the operator rode out the restart in the same process');
  const warnings = operator.logs.filter((l) => l.level === 'warn').slice(warningsBefore);
  assert.ok(warnings.length > 0, 'the operator noticed the API server was gone');
});

/** The replica that logged that it leads, and the Lease naming it. */
async function leaderOf(replicas: OperatorProcess[]) {
  const leading = replicas.filter((r) => logged(r, 'leading: starting controllers').length > 0);
  const lease = await readLease(bed.cp);
  return { leading, holder: lease?.spec?.holderIdentity, lease };
}

const leaderGauge = async (operator: OperatorProcess) =>
  metricValue((await operator.get('/metrics')).body, 'leader_election_master_status');

test('two replicas elect one leader; SIGKILL it and the other takes over and reconciles', async () => {
  for (const operator of operators) await operator.stop();
  const all = [await startReplica('replica-a'), await startReplica('replica-b')];

  const holder = await waitFor(async () => (await leaderOf(all)).holder, {
    what: 'a Lease holder',
    timeoutMs: 60_000,
  });
  const leader = replicas.get(holder);
  assert.ok(leader, `the Lease names one of the replicas, not ${holder}`);
  const [standbyName, standby] = [...replicas].find(([name]) => name !== holder) ?? [];
  assert.ok(standby && standbyName);
  // The standby has read the Lease held by the other and has kept trying while the leader renewed it twice.
  await waitFor(() => logged(standby, 'lease holder observed').some((l) => l.holder === holder), {
    what: 'the standby to see the leader',
    timeoutMs: 60_000,
  });
  const renewals = new Set<string>();
  await waitFor(
    async () => {
      renewals.add(String((await readLease(bed.cp))?.spec?.renewTime?.valueOf()));
      return renewals.size >= 3;
    },
    { what: 'two Lease renewals', intervalMs: 500 },
  );

  const before = await leaderOf(all);
  assert.deepEqual(before.leading, [leader], 'exactly one replica starts its controllers');
  assert.equal(before.holder, holder);
  assert.equal(before.lease?.spec?.leaseDurationSeconds, 15);
  assert.equal(await leaderGauge(leader), 1);
  assert.equal(await leaderGauge(standby), 0);
  // Only the leader reconciles.
  await ensureNamespace(bed.core, 'failover');
  await bed.kubectl(['apply', '-f', '-'], asList([scheduledBackup('failover', 'before-kill')]));
  await bed.waitForStatus('failover', 'before-kill', 'scheduleName set', (cr) =>
    Boolean(cr.status?.scheduleName),
  );
  const madeIt = (op: OperatorProcess) =>
    logged(op, 'created Velero Schedule').filter((l) => l.key === 'failover/before-kill').length;
  assert.equal(madeIt(leader), 1, 'the leader made the Schedule');
  assert.equal(madeIt(standby), 0, 'the standby did not');

  const transitions = before.lease?.spec?.leaseTransitions ?? 0;
  const killedAt = Date.now();
  await leader.stop('SIGKILL');
  await bed.kubectl(['apply', '-f', '-'], asList([scheduledBackup('failover', 'after-kill')]));

  const took = await explained(
    all,
    waitFor(() => logged(standby, 'leading: starting controllers')[0], {
      what: 'the standby to lead',
      timeoutMs: 40_000,
    }),
  );
  await waitFor(async () => (await bed.ownedBy('schedules', 'failover', 'after-kill')).length === 1, {
    what: 'the new leader to make the Schedule of a ConsistentBackup created after the kill',
    timeoutMs: 40_000,
  });
  const scheduledAt = Date.now();
  const leadingAt = Date.parse(String(took.timestamp));
  console.log(
    `failover: ${standbyName} leads ${((leadingAt - killedAt) / 1000).toFixed(1)} s after SIGKILL of ${holder}; ` +
      `the new ConsistentBackup's Schedule exists after ${((scheduledAt - killedAt) / 1000).toFixed(1)} s`,
  );
  const after = await readLease(bed.cp);
  assert.equal(after?.spec?.holderIdentity, standbyName);
  assert.equal(after?.spec?.leaseDurationSeconds, 15);
  assert.equal(after?.spec?.leaseTransitions, transitions + 1);
  await bed.waitForStatus('failover', 'after-kill', 'scheduleName set', (cr) =>
    Boolean(cr.status?.scheduleName),
  );
});

test('SIGTERM: the leader exits 0 and releases the Lease, and a standby takes it at once', async () => {
  // The replica that took over in the previous test.
  const holder = (await readLease(bed.cp))?.spec?.holderIdentity;
  const leader = replicas.get(holder ?? '');
  assert.ok(holder && leader?.running, `a running replica holds the Lease, not ${holder}`);
  const standby = await startReplica('replica-c');
  await waitFor(() => logged(standby, 'lease holder observed').some((l) => l.holder === holder), {
    what: 'the new standby to see the leader',
    timeoutMs: 60_000,
  });

  const stoppedAt = Date.now();
  await leader.stop('SIGTERM');
  assert.deepEqual(await leader.waitForExit(), [0, null], 'exit code 0');
  assert.equal(logged(leader, 'released the lease').length, 1);

  const took = await explained(
    [leader, standby],
    waitFor(() => logged(standby, 'leading: starting controllers')[0], {
      what: 'the standby to lead',
      timeoutMs: 40_000,
    }),
  );
  console.log(
    `graceful handover: replica-c leads ${((Date.parse(String(took.timestamp)) - stoppedAt) / 1000).toFixed(1)} s after SIGTERM to ${holder}`,
  );
  // It took a released Lease (no holder), not one that had to expire first.
  const seen = logged(standby, 'lease holder observed').map((l) => l.holder);
  assert.deepEqual(seen, [holder, '(none)', 'replica-c']);
  assert.equal((await readLease(bed.cp))?.spec?.holderIdentity, 'replica-c');
});
