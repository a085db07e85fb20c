import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { BackupHistoryEntry } from '../../src/api/consistent-backup.ts';
import type { RestoreDrill } from '../../src/api/consistent-restore.ts';
import { DrillMetrics, RecoverabilityMetrics } from '../../src/operator/recoverability-metrics.ts';
import { CREATED, consistentBackup } from './domain-fixtures.ts';

const NOW = Date.parse(CREATED) + 3_600_000;

function withHistory(history: BackupHistoryEntry[], name = 'orders-db') {
  const last = history[0];
  return consistentBackup(
    { rpo: '24h' },
    { name },
    {
      phase: 'Scheduled',
      history,
      ...(last && { lastBackup: { name: last.name, consistency: last.consistency } }),
    },
  );
}

const appConsistent = (name: string): BackupHistoryEntry => ({
  name,
  consistency: 'AppConsistent',
  evidence: { hooks: [{ name: 'db', expected: 1, attempted: 1, failed: 0 }] },
});
const inconsistent = (name: string): BackupHistoryEntry => ({
  name,
  consistency: 'Inconsistent',
  evidence: { hooks: [{ name: 'db', expected: 2, attempted: 2, failed: 2 }] },
});

async function series(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l.startsWith('consistentbackup_'));
}

test('per ConsistentBackup series: counters start at the first status seen, grow with new grades, go with it', async () => {
  const registry = new Registry();
  const metrics = new RecoverabilityMetrics(registry, () => NOW);
  // Backups already in status when the operator starts are its baseline, not new events.
  metrics.observe(withHistory([inconsistent('b1')]));
  metrics.observe(withHistory([], 'other'));
  let lines = await series(registry);
  assert.ok(
    lines.includes(
      'consistentbackup_backups_graded_total{namespace="shop",name="orders-db",grade="Inconsistent"} 0',
    ),
  );
  assert.ok(
    lines.includes('consistentbackup_hook_executions_failed_total{namespace="shop",name="orders-db"} 0'),
  );
  assert.ok(lines.includes('consistentbackup_rpo_target_seconds{namespace="shop",name="orders-db"} 86400'));
  assert.ok(
    lines.includes(
      'consistentbackup_last_backup_grade{namespace="shop",name="orders-db",grade="Inconsistent"} 1',
    ),
  );
  assert.ok(
    lines.includes('consistentbackup_consecutive_inconsistent_backups{namespace="shop",name="orders-db"} 1'),
  );

  // A new inconsistent backup, then a consistent one; observing the same status twice counts nothing twice.
  metrics.observe(withHistory([inconsistent('b2'), inconsistent('b1')]));
  metrics.observe(withHistory([appConsistent('b3'), inconsistent('b2'), inconsistent('b1')]));
  metrics.observe(withHistory([appConsistent('b3'), inconsistent('b2'), inconsistent('b1')]));
  lines = await series(registry);
  assert.ok(
    lines.includes(
      'consistentbackup_backups_graded_total{namespace="shop",name="orders-db",grade="Inconsistent"} 1',
    ),
  );
  assert.ok(
    lines.includes(
      'consistentbackup_backups_graded_total{namespace="shop",name="orders-db",grade="AppConsistent"} 1',
    ),
  );
  assert.ok(
    lines.includes('consistentbackup_hook_executions_failed_total{namespace="shop",name="orders-db"} 2'),
  );
  assert.ok(
    lines.includes('consistentbackup_consecutive_inconsistent_backups{namespace="shop",name="orders-db"} 0'),
  );
  assert.ok(
    lines.includes(
      'consistentbackup_last_backup_grade{namespace="shop",name="orders-db",grade="AppConsistent"} 1',
    ),
  );

  metrics.forget('shop/orders-db');
  lines = await series(registry);
  assert.deepEqual(
    lines.filter((l) => l.includes('name="orders-db"')),
    [],
  );
  assert.ok(
    lines.some((l) => l.includes('name="other"')),
    'the other one stays',
  );
  // Labels are namespace and name (and the bounded grade) only.
  for (const line of lines) assert.match(line, /^\w+\{namespace="[^"]*",name="[^"]*"(,grade="\w+")?\} \S+$/);
});

test('per RestoreDrill series: RTO, target, recoverable, verified point; they go with the drill', async () => {
  const registry = new Registry();
  const metrics = new DrillMetrics(registry);
  const drill = (name: string, status?: RestoreDrill['status']): RestoreDrill => ({
    metadata: { namespace: 'shop', name },
    spec: { consistentBackup: 'orders-db', rtoTarget: '15m' },
    ...(status && { status }),
  });
  metrics.observe(
    drill('weekly', {
      verification: {
        result: 'Passed',
        reason: 'ChecksPassed',
        lastVerifiedRecoveryPoint: CREATED,
        rto: { target: '15m', lastSeconds: 3 },
      },
    }),
  );
  metrics.observe(drill('new'));
  let lines = await series(registry);
  for (const expected of [
    'consistentbackup_drill_rto_target_seconds{namespace="shop",name="weekly"} 900',
    'consistentbackup_drill_last_rto_seconds{namespace="shop",name="weekly"} 3',
    'consistentbackup_drill_recoverable{namespace="shop",name="weekly"} 1',
    `consistentbackup_drill_last_verified_recovery_point_timestamp_seconds{namespace="shop",name="weekly"} ${Date.parse(CREATED) / 1000}`,
    'consistentbackup_drill_rto_target_seconds{namespace="shop",name="new"} 900',
  ])
    assert.ok(lines.includes(expected), `${expected} in ${lines.join('\n')}`);
  // Before its first drill finished a drill claims nothing about recoverability.
  assert.ok(
    !lines.some((l) => l.includes('name="new"') && !l.startsWith('consistentbackup_drill_rto_target')),
  );

  // The next drill failed: the newest status replaces what was exported.
  metrics.observe(
    drill('weekly', { verification: { result: 'Failed', reason: 'CheckFailed', rto: { lastSeconds: 5 } } }),
  );
  lines = await series(registry);
  assert.ok(lines.includes('consistentbackup_drill_recoverable{namespace="shop",name="weekly"} 0'));
  assert.ok(lines.includes('consistentbackup_drill_last_rto_seconds{namespace="shop",name="weekly"} 5'));

  metrics.forget('shop/weekly');
  lines = await series(registry);
  assert.deepEqual(
    lines.filter((l) => l.includes('name="weekly"')),
    [],
  );
  assert.ok(
    lines.some((l) => l.includes('name="new"')),
    'the other one stays',
  );
});
