import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { BackupHistoryEntry } from '../../src/api/consistent-backup.ts';
import { RecoverabilityMetrics } from '../../src/operator/recoverability-metrics.ts';
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
