// Benchmarks, run on demand with `npm run bench`: the work a reconcile does per ConsistentBackup, and the
// core's queue. Results are printed as a table; nothing here asserts on time.
import { performance } from 'node:perf_hooks';
import { computeStatus, desiredVeleroObjects } from '../src/domain/index.ts';
import { WorkQueue } from '../src/core/index.ts';
import type { ConsistentBackup } from '../src/api/consistent-backup.ts';
import type { VeleroBackup } from '../src/api/velero.ts';

interface Row {
  benchmark: string;
  iterations: number;
  'mean µs': number;
  'p99 µs': number;
  'ops/s': number;
}

async function measure(
  benchmark: string,
  iterations: number,
  fn: (i: number) => unknown,
  warmup = Math.min(100, iterations),
): Promise<Row> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await fn(i);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const p99 = samples[Math.floor(samples.length * 0.99)] ?? mean;
  return {
    benchmark,
    iterations,
    'mean µs': Math.round(mean * 1000),
    'p99 µs': Math.round(p99 * 1000),
    'ops/s': Math.round(1000 / mean),
  };
}

function consistentBackup(i: number, schedule: string): ConsistentBackup {
  return {
    apiVersion: 'consistentbackup.io/v1alpha1',
    kind: 'ConsistentBackup',
    metadata: {
      namespace: `team-${i}`,
      name: 'db',
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:00Z',
    },
    spec: {
      schedule,
      timeZone: 'Europe/Berlin',
      rpo: '26h',
      hooks: [
        {
          name: 'db',
          selector: { matchLabels: { app: 'db' } },
          container: 'db',
          pre: [{ command: ['sh', '-c', 'sync'], timeout: '30s', onError: 'Fail' }],
        },
      ],
    },
  };
}

function backups(cr: ConsistentBackup, count: number): VeleroBackup[] {
  const { namespace = '', name = '', uid = '' } = cr.metadata ?? {};
  return Array.from({ length: count }, (_, d) => {
    const start = new Date(Date.UTC(2026, 0, 2 + d, 0, 30)).toISOString();
    return {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: {
        name: `b-${d}`,
        namespace: 'velero',
        creationTimestamp: start,
        labels: {
          'app.kubernetes.io/managed-by': 'consistent-backup-operator',
          'consistentbackup.io/namespace': namespace,
          'consistentbackup.io/name': name,
          'consistentbackup.io/uid': uid,
        },
      },
      spec: {},
      status: {
        phase: 'Completed',
        startTimestamp: start,
        completionTimestamp: start,
        hookStatus: { hooksAttempted: 1 },
      },
    };
  });
}

const config = { veleroNamespace: 'velero' };
const now = Date.UTC(2026, 0, 20);
const rows: Row[] = [];
const steady = consistentBackup(0, '30 1 * * *');
const history = backups(steady, 30);
rows.push(
  await measure('desiredVeleroObjects (scheduled, 1 hook)', 5_000, () =>
    desiredVeleroObjects(steady, config),
  ),
);
rows.push(
  await measure('computeStatus (30 backups, cached cron)', 2_000, () =>
    computeStatus({ cr: steady, config, backups: history, now }),
  ),
);
// A distinct schedule each time: what a cold operator pays for the RPO feasibility scan per new schedule.
rows.push(
  await measure(
    'computeStatus (new schedule: feasibility scan)',
    50,
    (i) => computeStatus({ cr: consistentBackup(i, `${i % 60} ${i % 24} * * *`), config, backups: [], now }),
    0,
  ),
);
rows.push(
  await measure('WorkQueue add+get+done (1,000 keys)', 200, async () => {
    const queue = new WorkQueue({});
    for (let k = 0; k < 1000; k++) queue.add(`ns/${k}`);
    for (let k = 0; k < 1000; k++) {
      const key = await queue.get();
      if (key !== undefined) queue.done(key);
    }
    queue.shutDown();
  }),
);
console.table(rows);
