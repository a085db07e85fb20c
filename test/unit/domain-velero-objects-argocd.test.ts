// Argo CD tracks what it manages by a label (app.kubernetes.io/instance by default, or a custom one) or the
// argocd.argoproj.io/tracking-id annotation. A Velero object carrying them would look like part of the app and
// be pruned, deleting backups: nothing of the ConsistentBackup's own metadata may reach the Velero objects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import { desiredVeleroObjects } from '../../src/domain/velero-objects.ts';
import { config, consistentBackup, hook } from './domain-fixtures.ts';

const TRACKING = {
  labels: { 'app.kubernetes.io/instance': 'shop', 'argocd.argoproj.io/instance': 'shop', team: 'shop' },
  annotations: {
    'argocd.argoproj.io/tracking-id': 'shop:consistentbackup.io/ConsistentBackup:shop/orders-db',
    'argocd.argoproj.io/hook': 'PreSync',
    'argocd.argoproj.io/sync-wave': '-1',
    'argocd.argoproj.io/compare-options': 'IgnoreExtraneous',
    'consistentbackup.io/run-now': 'before-sync',
  },
};

function tracked(spec: ConsistentBackup['spec']): ConsistentBackup {
  const cr = consistentBackup({ ...spec, hooks: [hook()] });
  return { ...cr, metadata: { ...cr.metadata, labels: TRACKING.labels, annotations: TRACKING.annotations } };
}

function metadataKeys(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const keys: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if ((k === 'labels' || k === 'annotations') && typeof v === 'object' && v !== null)
      keys.push(...Object.keys(v));
    keys.push(...metadataKeys(v));
  }
  return keys;
}

for (const [what, spec] of [
  ['scheduled (Schedule, its Backup template, a run-now Backup)', { schedule: '0 3 * * *' }],
  ['one-shot (Backup)', {}],
] as const) {
  test(`${what}: no Argo CD tracking label or annotation, none of the ConsistentBackup's own metadata`, () => {
    const result = desiredVeleroObjects(tracked(spec), config);
    assert.ok(result.ok);
    const objects = [...(result.schedule ? [result.schedule] : []), ...result.backups.map((b) => b.backup)];
    assert.ok(objects.length >= 1);
    const keys = metadataKeys(objects);
    for (const forbidden of [...Object.keys(TRACKING.labels), ...Object.keys(TRACKING.annotations)].filter(
      (k) => !k.startsWith('consistentbackup.io/'),
    ))
      assert.ok(
        !keys.includes(forbidden),
        `${forbidden} reached a Velero object: ${JSON.stringify(objects)}`,
      );
    assert.ok(!keys.some((k) => k.startsWith('argocd.argoproj.io/')), keys.join(', '));
  });
}
