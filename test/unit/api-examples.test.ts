// The user-facing examples must be valid ConsistentBackups that produce Velero objects and meet their RPO.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import { computeStatus } from '../../src/domain/status.ts';
import { desiredVeleroObjects } from '../../src/domain/velero-objects.ts';
import { findCondition } from '../../src/domain/conditions.ts';
import { config } from './domain-fixtures.ts';

const dir = new URL('../../examples/', import.meta.url);
const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));

test('there are examples', () => assert.ok(files.length >= 5));

for (const file of files) {
  test(`examples/${file}`, async () => {
    const example = parse(await readFile(new URL(file, dir), 'utf8')) as ConsistentBackup;
    assert.equal(example.apiVersion, 'consistentbackup.io/v1alpha1');
    const cr: ConsistentBackup = {
      ...example,
      metadata: {
        ...example.metadata,
        namespace: 'demo',
        uid: '00000000-0000-4000-8000-000000000000',
        creationTimestamp: '2025-06-01T00:00:00Z',
      },
    };
    const objects = desiredVeleroObjects(cr, config);
    assert.ok(objects.ok, JSON.stringify(!objects.ok && objects.problems));
    assert.ok(objects.schedule ?? objects.backups.length === 1, 'a Schedule or a Backup');
    // Every hook, written or from a preset, reaches Velero in its container with onError and timeout set.
    const template = objects.schedule?.spec.template ?? objects.backups[0]?.backup.spec;
    const resources = template?.hooks?.resources ?? [];
    assert.deepEqual(
      resources.map((r) => r.name),
      (cr.spec.hooks ?? []).map((h) => h.name),
    );
    for (const { exec } of resources.flatMap((r) => [...(r.pre ?? []), ...(r.post ?? [])])) {
      assert.ok(exec.container && exec.onError && exec.timeout, JSON.stringify(exec).slice(0, 200));
    }
    const { status } = computeStatus({ cr, config, backups: [], now: Date.parse('2025-06-01T00:00:00Z') });
    const achievable = findCondition(status.conditions, 'RPOAchievable');
    if (cr.spec.rpo && !cr.spec.suspend) assert.equal(achievable?.status, 'True', achievable?.message);
  });
}
