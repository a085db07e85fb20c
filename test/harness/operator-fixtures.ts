// What the operator's idle and fault tests share: ConsistentBackups whose timed transitions lie hours away,
// the operator's Lease, and reading the operator's own metrics to know that it has nothing left to do.
import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { ApiException } from '@kubernetes/client-node';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import type { ControlPlane } from './control-plane.ts';
import type { OperatorProcess } from './operator-process.ts';
import { OPERATOR_NAMESPACE } from '../../src/cli/options.ts';

export { OPERATOR_NAMESPACE };
/** The operator's service account, as deploy/ installs it. */
export const OPERATOR_USER = `system:serviceaccount:${OPERATOR_NAMESPACE}:consistent-backup-operator`;
export const LEASE_NAME = 'consistent-backup-operator';

/** What the Deployment in deploy/ sets for each replica (POD_NAME from the downward API). */
export function replicaEnv(podName: string): NodeJS.ProcessEnv {
  return { POD_NAMESPACE: OPERATOR_NAMESPACE, POD_NAME: podName };
}

/** Daily, at a UTC hour 11 to 12 hours away: no scheduled run falls into a test. */
export function farDailyCron(now = new Date()): string {
  return `0 ${(now.getUTCHours() + 12) % 24} * * *`;
}

const RUN_NOW = 'consistentbackup.io/run-now';

function consistentBackup(
  namespace: string,
  name: string,
  spec: ConsistentBackup['spec'],
  runNowToken?: string,
): ConsistentBackup {
  return {
    apiVersion: 'consistentbackup.io/v1alpha1',
    kind: 'ConsistentBackup',
    metadata: { name, namespace, ...(runNowToken && { annotations: { [RUN_NOW]: runNowToken } }) },
    spec,
  };
}

/** What the hooks of `scheduledBackup` select: pods labelled app=db with a container db. */
export const HOOK_TARGET = { labels: { app: 'db' }, container: 'db' };

/**
 * A scheduled ConsistentBackup with one pre hook: a Velero Schedule, and Backups only when asked for. Its rpo
 * exceeds the daily gap, so the status is healthy (RPOAchievable True) once Velero enabled the Schedule, and
 * its backups are AppConsistent where a HOOK_TARGET pod runs.
 */
export function scheduledBackup(namespace: string, name: string, runNowToken?: string): ConsistentBackup {
  return consistentBackup(
    namespace,
    name,
    {
      schedule: farDailyCron(),
      rpo: '26h',
      hooks: [
        {
          name: 'flush',
          selector: { matchLabels: HOOK_TARGET.labels },
          container: HOOK_TARGET.container,
          pre: [{ command: ['/bin/sh', '-c', 'sync'] }],
        },
      ],
    },
    runNowToken,
  );
}

/** A ConsistentBackup without schedule: exactly one Backup, plus one per run-now token. */
export function oneShotBackup(namespace: string, name: string, runNowToken?: string): ConsistentBackup {
  return consistentBackup(namespace, name, {}, runNowToken);
}

/** One `kubectl apply` for many objects. */
export function asList(objects: unknown[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
}

export async function readLease(cp: ControlPlane): Promise<V1Lease | undefined> {
  try {
    return await cp.kubeConfig
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace: OPERATOR_NAMESPACE, name: LEASE_NAME });
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return undefined;
    throw err;
  }
}

/** The sum of a metric's samples in Prometheus text, over the samples whose labels include `labels`. */
export function metricValue(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const sample = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => sample.includes(`${k}="${v}"`))) sum += Number(match[3]);
  }
  return sum;
}

/**
 * A probe for waitFor: true once the operator's controller has an empty queue, no busy worker, and did not
 * reconcile since the previous probe (requeue-after items wait outside the queue, so they do not count).
 */
export function quietProbe(
  operator: OperatorProcess,
  controller = 'consistentbackup',
): () => Promise<boolean> {
  let previousTotal: number | undefined;
  return async () => {
    const { body } = await operator.get('/metrics');
    const labels = { controller };
    const total = metricValue(body, 'controller_runtime_reconcile_total', labels);
    const quiet =
      metricValue(body, 'workqueue_depth', labels) === 0 &&
      metricValue(body, 'controller_runtime_active_workers', labels) === 0 &&
      total > 0 &&
      total === previousTotal;
    previousTotal = total;
    return quiet;
  };
}

/** Log lines of one operator process with this message. */
export function logged(operator: OperatorProcess, message: string): Record<string, unknown>[] {
  return operator.logs.filter((line) => line.message === message);
}

/** For failure messages: whether each process runs, and its last log lines above debug. */
export function operatorTails(operators: OperatorProcess[], lines = 12): string {
  return operators
    .map((op, i) => {
      const tail = op.logs.filter((l) => l.level !== 'debug').slice(-lines);
      return `operator #${i} (${op.running ? 'running' : 'exited'}):\n${tail.map((l) => JSON.stringify(l)).join('\n')}`;
    })
    .join('\n');
}

/** Awaits `work`; if it fails, the error also tells what the operators were doing. */
export async function explained<T>(operators: OperatorProcess[], work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\n${operatorTails(operators)}`, { cause: err });
  }
}
