// ConsistentRestore through the real Velero: a namespace whose "database" pod keeps its data in a local
// PostgreSQL server is backed up (postgresql preset), then restored into a scratch namespace the operator
// makes. Velero recreates the pod there (the binder plays the scheduler), runs the restore hook and the
// preset check through kube-apiserver -> kwok against the server, and the operator reports what Velero did.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { ConsistentRestore } from '../../src/api/consistent-restore.ts';
import { LABEL_SCRATCH, LABEL_SCRATCH_FOR } from '../../src/domain/restore/index.ts';
import { installDatabases, startPostgres, type PostgresServer } from '../databases/servers.ts';
import { RealVeleroTestbed } from '../harness/real-velero-testbed.ts';
import { ScratchPodBinder } from '../harness/scratch-pod-binder.ts';
import { waitFor } from '../harness/wait.ts';

const PASSWORD = 'pg-restore-secret';
const SOURCE = 'e2e-restore-src';

let bed: RealVeleroTestbed;
let server: PostgresServer;
let binder: ScratchPodBinder;
/** Work dir of each restored pod's exec rule, by `namespace/pod`. */
const restoredWorkDirs = new Map<string, string>();
let consistentBackupStart: string;

before(async () => {
  installDatabases();
  server = await startPostgres(PASSWORD);
  await server.sql('CREATE TABLE orders (id serial PRIMARY KEY, note text)');
  await server.sql("INSERT INTO orders (note) VALUES ('one'), ('two')");
  bed = await RealVeleroTestbed.start();
  binder = new ScratchPodBinder(bed.env, (namespace, pod) => {
    const workDir = join(bed.env.dir, `restored-${namespace}-${pod}`);
    restoredWorkDirs.set(`${namespace}/${pod}`, workDir);
    return { workDir: workDirReady(workDir), env: { POSTGRES_PASSWORD: PASSWORD } };
  });
  const { namespace, workDir } = await bed.namespace(SOURCE);
  await bed.startPod(namespace, 'db-0', {
    labels: { app: 'db' },
    exec: { workDir, env: { POSTGRES_PASSWORD: PASSWORD } },
  });
  await bed.applyConsistentBackup(namespace, 'orders', {
    hooks: [
      {
        name: 'db',
        selector: { matchLabels: { app: 'db' } },
        container: 'db',
        preset: { name: 'postgresql', parameters: { host: '127.0.0.1', port: String(server.port) } },
      },
    ],
  });
  const cb = await bed.waitForStatus(namespace, 'orders', 'a consistent backup', (cr) =>
    Boolean(cr.status?.lastConsistentBackup?.name),
  );
  consistentBackupStart = cb.status?.lastConsistentBackup?.startTimestamp ?? '';
});

after(async () => {
  await binder?.stop();
  await bed?.stop();
  await server?.stop();
});

/** kwok runs exec'd commands in an existing directory. */
function workDirReady(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

const api = () => bed.env.kubeConfig.makeApiClient(CustomObjectsApi);
const ref = (namespace: string) => ({
  group: 'consistentbackup.io',
  version: 'v1alpha1',
  namespace,
  plural: 'consistentrestores',
});

async function restore(namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await bed.kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'consistentbackup.io/v1alpha1',
      kind: 'ConsistentRestore',
      metadata: { name, namespace },
      spec,
    }),
  );
}

async function get(namespace: string, name: string): Promise<ConsistentRestore | undefined> {
  try {
    return (await api().getNamespacedCustomObject({ ...ref(namespace), name })) as ConsistentRestore;
  } catch {
    return undefined;
  }
}

function waitForPhase(namespace: string, name: string, phases: string[]): Promise<ConsistentRestore> {
  return waitFor(
    async () => {
      const cr = await get(namespace, name);
      return cr && phases.includes(cr.status?.phase ?? '') ? cr : undefined;
    },
    { what: `ConsistentRestore ${namespace}/${name} in ${phases.join('|')}`, timeoutMs: 180_000 },
  );
}

/** Status and the error lines of Velero's restore log, for a failure message. */
async function explain(cr: ConsistentRestore): Promise<string> {
  const name = cr.status?.restoreName;
  const log = name ? await bed.velero(['restore', 'logs', name]).catch((e: Error) => e.message) : '';
  const errors = log.split('\n').filter((l) => /level=(error|warning)/.test(l));
  return `${JSON.stringify(cr.status)}\n${errors.join('\n')}`;
}

async function namespaceExists(name: string): Promise<boolean> {
  try {
    await bed.kubectl(['get', 'namespace', name, '-o', 'name']);
    return true;
  } catch {
    return false;
  }
}

const check = {
  name: 'orders',
  selector: { matchLabels: { app: 'db' } },
  container: 'db',
  preset: {
    name: 'postgresql',
    parameters: {
      host: '127.0.0.1',
      port: '0',
      query: 'SELECT count(*) FROM orders',
    },
  },
};

describe('ConsistentRestore on the real Velero', () => {
  test('restores the newest consistent backup into a scratch namespace; the hook and the check really run', async () => {
    const hookCommand = ['/bin/sh', '-c', 'echo "restored $(date +%s)" >> restore-hook.log'];
    await restore(SOURCE, 'to-scratch', {
      source: { consistentBackup: 'orders' },
      hooks: [
        {
          name: 'mark',
          selector: { matchLabels: { app: 'db' } },
          container: 'db',
          exec: [{ command: hookCommand, waitTimeout: '2m' }],
        },
      ],
      checks: [
        {
          ...check,
          preset: { ...check.preset, parameters: { ...check.preset.parameters, port: String(server.port) } },
        },
      ],
    });
    const cr = await waitForPhase(SOURCE, 'to-scratch', ['Succeeded', 'Failed']);
    const status = cr.status!;
    assert.equal(status.phase, 'Succeeded', await explain(cr));
    assert.equal(status.veleroPhase, 'Completed');
    assert.deepEqual(status.hooks, { expected: 2, attempted: 2, failed: 0 });
    assert.equal(status.recoveryPoint, consistentBackupStart, 'the recovery point is the backup start');
    const target = status.targetNamespace!;
    assert.notEqual(target, SOURCE);
    const labels = JSON.parse(
      await bed.kubectl(['get', 'namespace', target, '-o', 'jsonpath={.metadata.labels}']),
    );
    assert.equal(labels[LABEL_SCRATCH], 'true');
    assert.equal(labels[LABEL_SCRATCH_FOR], SOURCE);
    const workDir = restoredWorkDirs.get(`${target}/db-0`);
    assert.ok(workDir, `the restored pod ${target}/db-0 was scheduled (bound: ${binder.bound.join(', ')})`);
    assert.equal((await bed.hookOutput(workDir, 'restore-hook.log')).length, 1, 'the restore hook ran once');
    const velero = JSON.parse(
      await bed.kubectl(['get', '-n', 'velero', 'restores.velero.io', status.restoreName!, '-o', 'json']),
    );
    assert.equal(velero.spec.namespaceMapping[SOURCE], target);
    assert.equal(velero.status.hookStatus.hooksAttempted, 2);
    assert.ok(status.durationSeconds !== undefined && status.duration, 'the time taken is recorded');
    console.log(
      `restore into ${target}: ${status.duration} (${status.startTime} -> ${status.completionTime})`,
    );
    // The live pod was left alone: still one pod, the original.
    assert.equal((await bed.kubectl(['get', 'pods', '-n', SOURCE, '-o', 'name'])).trim(), 'pod/db-0');

    await bed.kubectl(['delete', 'consistentrestore', '-n', SOURCE, 'to-scratch', '--wait=true']);
    await waitFor(async () => !(await namespaceExists(target)), {
      what: `scratch namespace ${target} deleted`,
      timeoutMs: 60_000,
    });
  });

  test('a failing check fails the restore', async () => {
    await restore(SOURCE, 'bad-check', {
      source: { consistentBackup: 'orders' },
      checks: [
        {
          ...check,
          preset: {
            ...check.preset,
            parameters: {
              ...check.preset.parameters,
              port: String(server.port),
              query: 'SELECT * FROM no_such_table',
            },
          },
        },
      ],
    });
    const cr = await waitForPhase(SOURCE, 'bad-check', ['Succeeded', 'Failed']);
    assert.equal(cr.status?.phase, 'Failed', JSON.stringify(cr.status));
    const checks = cr.status?.conditions?.find((c) => c.type === 'ChecksPassed');
    assert.equal(checks?.status, 'False');
    assert.equal(checks?.reason, 'CheckFailed');
    assert.equal(cr.status?.hooks?.failed, 1);
    const target = cr.status?.targetNamespace ?? '';
    await bed.kubectl(['delete', 'consistentrestore', '-n', SOURCE, 'bad-check', '--wait=true']);
    await waitFor(async () => !(await namespaceExists(target)), {
      what: `scratch namespace ${target} deleted`,
      timeoutMs: 60_000,
    });
  });

  test("a restore of another namespace's backup is refused and touches nothing", async () => {
    const cb = await bed.consistentBackup(SOURCE, 'orders');
    const foreignBackup = cb.status?.lastConsistentBackup?.name ?? '';
    const { namespace } = await bed.namespace('e2e-restore-other');
    // A ConsistentBackup of the same name in the other namespace, so only ownership can tell them apart.
    await bed.applyConsistentBackup(namespace, 'orders', {});
    await restore(namespace, 'steal', { source: { consistentBackup: 'orders', backup: foreignBackup } });
    const cr = await waitForPhase(namespace, 'steal', ['Refused']);
    assert.equal(cr.status?.conditions?.find((c) => c.type === 'Restored')?.reason, 'BackupNotOwned');
    assert.equal(cr.status?.restoreName, undefined);
    const restores = await bed.kubectl(['get', '-n', 'velero', 'restores.velero.io', '-o', 'name']);
    assert.ok(!restores.includes('steal'), restores);
  });
});

describe('RestoreDrill on the real Velero', () => {
  async function drill(name: string, spec: Record<string, unknown>, token: string): Promise<void> {
    await bed.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'consistentbackup.io/v1alpha1',
        kind: 'RestoreDrill',
        metadata: { name, namespace: SOURCE, annotations: { 'consistentbackup.io/run-now': token } },
        spec: { consistentBackup: 'orders', rtoTarget: '10m', ...spec },
      }),
    );
  }
  const drillStatus = async (name: string) =>
    JSON.parse(await bed.kubectl(['get', 'restoredrill', '-n', SOURCE, name, '-o', 'json'])) as {
      status?: {
        currentRun?: string;
        history?: { run: string; result: string; reason: string; rtoSeconds?: number }[];
        verification?: {
          result?: string;
          lastVerifiedRecoveryPoint?: string;
          rto?: { lastSeconds?: number };
        };
        conditions?: { type: string; status: string; reason: string }[];
      };
    };
  const condition = (s: Awaited<ReturnType<typeof drillStatus>>, type: string) =>
    s.status?.conditions?.find((c) => c.type === type);
  const scratchNamespaces = async () =>
    (await bed.kubectl(['get', 'namespaces', '-l', `${LABEL_SCRATCH}=true`, '-o', 'name'])).trim();

  test('a drill restores, checks, measures the RTO, and leaves no namespace behind; a failing check makes it not Recoverable', async () => {
    const port = String(server.port);
    await drill(
      'nightly',
      {
        checks: [{ ...check, preset: { ...check.preset, parameters: { ...check.preset.parameters, port } } }],
      },
      'first',
    );
    const passed = await waitFor(
      async () => {
        const s = await drillStatus('nightly');
        return s.status?.history?.length ? s : undefined;
      },
      { what: 'the first drill recorded', timeoutMs: 180_000 },
    );
    assert.equal(passed.status?.history?.[0]?.result, 'Passed', JSON.stringify(passed.status));
    assert.equal(condition(passed, 'Recoverable')?.status, 'True');
    assert.equal(condition(passed, 'RTOMet')?.status, 'True');
    assert.equal(passed.status?.verification?.lastVerifiedRecoveryPoint, consistentBackupStart);
    const rto = passed.status?.verification?.rto?.lastSeconds;
    assert.ok(rto !== undefined, 'the RTO was measured');
    console.log(`drill RTO (Velero Restore created -> restore and checks finished): ${rto}s`);
    await waitFor(async () => (await scratchNamespaces()) === '', {
      what: 'no scratch namespace left',
      timeoutMs: 90_000,
    });

    await drill(
      'broken',
      {
        checks: [
          {
            ...check,
            preset: {
              ...check.preset,
              parameters: { ...check.preset.parameters, port, query: 'SELECT * FROM missing' },
            },
          },
        ],
      },
      'first',
    );
    const failed = await waitFor(
      async () => {
        const s = await drillStatus('broken');
        return s.status?.history?.length ? s : undefined;
      },
      { what: 'the failing drill recorded', timeoutMs: 180_000 },
    );
    assert.equal(failed.status?.history?.[0]?.result, 'Failed');
    assert.equal(condition(failed, 'Recoverable')?.status, 'False');
    assert.equal(condition(failed, 'Recoverable')?.reason, 'CheckFailed');
    await waitFor(async () => (await scratchNamespaces()) === '', {
      what: 'no scratch namespace left',
      timeoutMs: 90_000,
    });
  });

  test('an operator restart mid-drill leaves no namespace behind and makes no second restore', async () => {
    const port = String(server.port);
    const slow = {
      name: 'slow',
      selector: { matchLabels: { app: 'db' } },
      container: 'db',
      exec: [{ command: ['/bin/sh', '-c', 'sleep 6'], execTimeout: '30s', waitTimeout: '2m' }],
    };
    await drill(
      'restart',
      {
        hooks: [slow],
        checks: [{ ...check, preset: { ...check.preset, parameters: { ...check.preset.parameters, port } } }],
      },
      'r1',
    );
    const running = await waitFor(
      async () => {
        const s = await drillStatus('restart');
        return s.status?.currentRun ? s : undefined;
      },
      { what: 'the drill running', timeoutMs: 60_000 },
    );
    const startAgain = await bed.stopOperator();
    await startAgain();
    const done = await waitFor(
      async () => {
        const s = await drillStatus('restart');
        return s.status?.history?.length ? s : undefined;
      },
      { what: 'the drill recorded after the restart', timeoutMs: 180_000 },
    );
    assert.equal(done.status?.history?.length, 1);
    assert.equal(done.status?.history?.[0]?.run, running.status?.currentRun);
    assert.equal(done.status?.history?.[0]?.result, 'Passed', JSON.stringify(done.status));
    const restores = (await bed.kubectl(['get', '-n', 'velero', 'restores.velero.io', '-o', 'name']))
      .split('\n')
      .filter((r) => r.includes(running.status?.currentRun ?? '~'));
    assert.ok(restores.length <= 1, `one Velero Restore for the run: ${restores.join(', ')}`);
    await waitFor(async () => (await scratchNamespaces()) === '', {
      what: 'no scratch namespace left',
      timeoutMs: 90_000,
    });
  });
});
