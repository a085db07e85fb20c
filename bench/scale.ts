// The scale benchmark (`npm run bench:scale`): the operator, built and run as its own process, against a local
// control plane with thousands of ConsistentBackups, measured side by side with the floor (bench/scale/floor.ts)
// in the same run. Prints progress to stderr and a table to stdout; asserts nothing.
//
//   npm run bench:scale -- [--sizes=1000,5000] [--pods=20000] [--idle-seconds=60] [--latency-crs=200]
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { KubeRest, resourcePath } from '../src/core/index.ts';
import { summarizePod, type PodSummary } from '../src/domain/index.ts';
import { createFakePod } from '../test/support/fake-pods.ts';
import type { BackupStorageLocation } from '../src/api/velero.ts';
import { startControlPlane, loadKubeConfig } from '../test/harness/control-plane.ts';
import { operatorKubeconfig } from '../test/harness/operator-identity.ts';
import { AuditWrites, total } from './scale/audit.ts';
import { Floor } from './scale/floor.ts';
import { BuiltOperator } from './scale/operator.ts';
import { Observer, latencies, percentile } from './scale/observer.ts';
import {
  NAMESPACES,
  clearConsistentBackups,
  consistentBackup,
  createConsistentBackup,
  createPods,
  createStorageLocation,
  ensureNamespaces,
  namespaceOf,
  pool,
  revalidateStorageLocation,
} from './scale/workload.ts';
import { enableSchedulesOf } from './scale/velero-validation.ts';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,5000' },
    pods: { type: 'string', default: '20000' },
    'idle-seconds': { type: 'string', default: '60' },
    'latency-crs': { type: 'string', default: '200' },
    /** Heap snapshots of the operator at idle (after settling, and after each restart), for a heap viewer. */
    'heap-snapshots': { type: 'boolean', default: false },
  },
});
const sizes = (args.sizes ?? '').split(',').map(Number);
const podCount = Number(args.pods);
const idleSeconds = Number(args['idle-seconds']);
const latencyCrs = Number(args['latency-crs']);
const CONCURRENCY = 4; // the operator's default --concurrency
const CREATORS = 8;
const OPERATOR_USER = 'system:serviceaccount:consistent-backup-system:consistent-backup-operator';

const started = Date.now();
const progress = (msg: string): void => {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);
};
const seconds = (ms: number): string => (ms / 1000).toFixed(1);
const mib = (n: number): string => n.toFixed(0);

progress('starting the control plane');
const cp = await startControlPlane();
const rows: [string, string, string][] = [];
try {
  const admin = new KubeRest(cp.kubeConfig);
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => namespaceOf(i));
  await ensureNamespaces(admin, ['velero', 'bench-latency', ...namespaces]);
  await createStorageLocation(admin);
  // The database pod every benchmark hook selects, running, in each namespace: HooksReady is True.
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const dbPods = new Map<string, PodSummary[]>();
  for (const namespace of [...namespaces, 'bench-latency']) {
    const pod = await createFakePod(core, {
      namespace,
      name: 'db',
      labels: { app: 'db' },
      containers: ['db'],
    });
    dbPods.set(namespace, [summarizePod(pod)]);
  }
  const operatorConfigPath = await operatorKubeconfig(cp);
  const operatorKc = loadKubeConfig(operatorConfigPath);
  const audit = new AuditWrites(cp.auditLogPath, OPERATOR_USER);
  const observer = new Observer(cp.kubeConfig);
  await observer.start();
  const workDir = await mkdtemp(join(tmpdir(), 'cbo-bench-'));
  const operatorLog = join(workDir, 'operator.log');
  const diagnostics = args['heap-snapshots'] ? workDir : undefined;
  progress(`operator log${diagnostics ? ' and heap snapshots' : ''}: ${workDir}`);
  const newOperator = () => new BuiltOperator(operatorConfigPath, operatorLog, diagnostics);
  /** RSS and heap used now, and a heap snapshot if asked for. */
  const idleMemory = async (operator: BuiltOperator): Promise<{ rss: string; heap: string }> => {
    const rss = `${mib(await operator.rssMiB())} MiB`;
    const heap = `heap used ${mib((await operator.metric('nodejs_heap_size_used_bytes')) / 2 ** 20)} MiB`;
    operator.heapSnapshot();
    return { rss, heap };
  };
  const location = await admin.request<BackupStorageLocation>(
    'GET',
    resourcePath(
      { apiVersion: 'velero.io/v1', plural: 'backupstoragelocations', namespace: 'velero' },
      'default',
    ),
  );

  /** Creates n ConsistentBackups, CREATORS at a time; returns their keys and when creation began. */
  const createAll = async (
    n: number,
    onCreated: (cr: Awaited<ReturnType<typeof createConsistentBackup>>) => void,
  ) => {
    const keys = Array.from({ length: n }, (_, i) => `${namespaceOf(i)}/db-${i}`);
    const begin = Date.now();
    await pool(n, CREATORS, async (i) => {
      const created = await createConsistentBackup(admin, consistentBackup(namespaceOf(i), `db-${i}`, i));
      observer.createdAt.set(keys[i] ?? '', Date.now());
      onCreated(created);
    });
    return { keys, begin };
  };
  const settle = async (what: string, keys: string[]) =>
    observer.settled(keys, (done) => progress(`${what}: ${done}/${keys.length} settled`));
  const writesSummary = (counts: Map<string, number>, n: number): string =>
    `${(total(counts) / n).toFixed(2)} (${[...counts].map(([k, v]) => `${k} ${(v / n).toFixed(2)}`).join(', ')})`;

  let operator: BuiltOperator | undefined;
  for (const [index, n] of sizes.entries()) {
    const last = index === sizes.length - 1;
    observer.reset();
    progress(`floor: ${n} ConsistentBackups`);
    const floor = new Floor(operatorKc, { veleroNamespace: 'velero' }, location, dbPods, CONCURRENCY);
    const f = await createAll(n, (cr) => floor.add(cr));
    const floorEnd = await settle('floor', f.keys);
    await floor.close();
    const floorMs = floorEnd - f.begin;
    const floorWrites = await audit.between(f.begin, floorEnd + 1);
    progress(`floor settled ${n} in ${seconds(floorMs)} s; clearing`);
    await clearConsistentBackups(admin, namespaces);

    observer.reset();
    operator = newOperator();
    await operator.start();
    await operator.ready();
    const reconcilesBefore = await operator.metric('controller_runtime_reconcile_total');
    progress(`operator: ${n} ConsistentBackups`);
    const health = operator.healthzProbe();
    const o = await createAll(n, () => {});
    const operatorEnd = await settle('operator', o.keys);
    await operator.quiet();
    const slowestHealthz = health.stop();
    const operatorMs = operatorEnd - o.begin;
    const operatorWrites = await audit.between(o.begin, Date.now());
    const reconciles = (await operator.metric('controller_runtime_reconcile_total')) - reconcilesBefore;
    progress(`operator settled ${n} in ${seconds(operatorMs)} s`);
    rows.push([
      `settle ${n}: operator / floor`,
      `${seconds(operatorMs)} s / ${seconds(floorMs)} s`,
      `ratio ${(operatorMs / floorMs).toFixed(2)}`,
    ]);
    rows.push([`writes per CR settling ${n}: operator`, writesSummary(operatorWrites, n), '']);
    rows.push([`writes per CR settling ${n}: floor`, writesSummary(floorWrites, n), '']);
    rows.push([
      `reconciles per CR settling ${n}; slowest /healthz`,
      (reconciles / n).toFixed(2),
      `${slowestHealthz.toFixed(0)} ms`,
    ]);
    if (!last) {
      await operator.stop();
      await clearConsistentBackups(admin, namespaces);
    }
  }
  if (!operator) throw new Error('no sizes given');
  const n = sizes.at(-1) ?? 0;

  progress(`idle: ${idleSeconds} s, the storage location revalidated every 15 s as Velero does`);
  const idleFrom = Date.now();
  const justSettled = await operator.rssMiB();
  const idleReconciles = await operator.metric('controller_runtime_reconcile_total');
  const revalidate = setInterval(() => void revalidateStorageLocation(admin), 15_000);
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  clearInterval(revalidate);
  const idleWrites = total(await audit.between(idleFrom, Date.now()));
  const idleReconciled = (await operator.metric('controller_runtime_reconcile_total')) - idleReconciles;
  rows.push([
    `idle writes per minute, ${n} settled`,
    ((idleWrites * 60) / idleSeconds).toFixed(1),
    `${idleReconciled} reconciles`,
  ]);
  const { rss: idleRss, heap: idleHeap } = await idleMemory(operator);
  rows.push([
    `RSS idle ${idleSeconds} s, ${n} settled`,
    idleRss,
    `${idleHeap}; ${mib(justSettled)} MiB right after settling`,
  ]);

  const restart = async (what: string): Promise<void> => {
    progress(`restart with ${what}`);
    await operator?.stop();
    operator = newOperator();
    const health = operator.healthzProbe(25);
    await operator.start();
    const readyAt = await operator.ready();
    await operator.quiet(5000);
    const slowest = health.stop();
    const writes = total(await audit.between(operator.startedAt, Date.now()));
    rows.push([
      `restart with ${what}: to ready; writes`,
      `${seconds(readyAt - operator.startedAt)} s`,
      `${writes} writes, slowest /healthz ${slowest.toFixed(0)} ms`,
    ]);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const { rss, heap } = await idleMemory(operator);
    rows.push([`RSS idle ${idleSeconds} s after restart with ${what}`, rss, heap]);
  };
  await restart(`${n} ConsistentBackups`);

  if (latencyCrs > 0) {
    progress(`latency: ${latencyCrs} ConsistentBackups created one by one, Schedules validated at once`);
    observer.reset();
    const validation = enableSchedulesOf(cp.kubeConfig, 'bench-latency');
    await validation.start();
    const latencyKeys: string[] = [];
    for (let i = 0; i < latencyCrs; i++) {
      const key = `bench-latency/db-${i}`;
      await createConsistentBackup(admin, consistentBackup('bench-latency', `db-${i}`, i));
      observer.createdAt.set(key, Date.now());
      latencyKeys.push(key);
      await new Promise((r) => setTimeout(r, 50));
    }
    await observer.until(() => latencyKeys.every((k) => observer.readyAt.has(k)));
    validation.stop();
    const toSchedule = latencies(latencyKeys, observer.createdAt, observer.scheduleAt);
    const toReady = latencies(latencyKeys, observer.createdAt, observer.readyAt);
    const pct = (l: number[]) => [50, 90, 99].map((p) => `${percentile(l, p).toFixed(0)}`).join(' / ');
    rows.push([`create->Schedule p50/p90/p99 (${latencyCrs}, ${n} present)`, `${pct(toSchedule)} ms`, '']);
    rows.push([
      `create->Ready p50/p90/p99 (${latencyCrs}, ${n} present)`,
      `${pct(toReady)} ms`,
      'Velero stand-in validates at once',
    ]);
  }

  if (podCount > 0) {
    progress(`pods: creating ${podCount}`);
    const podsFrom = Date.now();
    await createPods(admin, podCount, (done) => progress(`pods: ${done}/${podCount}`));
    await operator.quiet(5000);
    const podWrites = total(await audit.between(podsFrom, Date.now()));
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const { rss, heap } = await idleMemory(operator);
    rows.push([
      `RSS idle ${idleSeconds} s, ${n + latencyCrs} settled + ${podCount} pods`,
      rss,
      `${heap}; ${podWrites} writes while pods appeared`,
    ]);
    await restart(`${n + latencyCrs} ConsistentBackups + ${podCount} pods`);
  }
  await operator.stop();
  observer.stop();
} finally {
  await cp.stop();
}

const header: [string, string, string] = ['figure', 'value', 'notes'];
const widths = [0, 1, 2].map((i) => Math.max(...[header, ...rows].map((r) => (r[i] ?? '').length)));
const line = (cells: string[]): string =>
  `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |\n`;
process.stdout.write(`\n${line(header)}${line(widths.map((w) => '-'.repeat(w)))}`);
for (const row of rows) process.stdout.write(line(row));
