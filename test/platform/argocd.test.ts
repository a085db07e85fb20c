// The Argo CD health check and run-now action, run in gopher-lua the way Argo CD runs argocd-cm scripts,
// against ConsistentBackups recorded from real runs on the real Velero (test/e2e/platform.test.ts with
// CBO_RECORD_SNAPSHOTS=1 writes argocd-snapshots/).
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import { RUN_NOW_ANNOTATION } from '../../src/api/constants.ts';
import { runNowToken } from '../../src/domain/run-now.ts';
import { argocdHealth, runArgocdScript } from '../harness/platform-tools.ts';

const snapshots = new URL('./argocd-snapshots/', import.meta.url);
const load = async (name: string) =>
  JSON.parse(await readFile(new URL(`${name}.json`, snapshots), 'utf8')) as ConsistentBackup;

// [recorded state, health, what the message must say]
const expected: [string, string, RegExp][] = [
  ['one-shot-running', 'Progressing', /./],
  ['one-shot-app-consistent', 'Healthy', /AppConsistent/],
  ['one-shot-inconsistent', 'Degraded', /BackupInconsistent/],
  ['scheduled-rpo-met', 'Healthy', /rpo of 48h holds/],
  ['storage-location-missing', 'Degraded', /StorageLocationNotFound/],
  ['invalid', 'Degraded', /bogus/],
  ['rpo-unachievable', 'Degraded', /RPOAchievable|gaps/],
  ['suspended', 'Suspended', /suspend/],
  ['hooks-failing-rpo-breached', 'Degraded', /RPOBreached/],
];

describe('Argo CD health of recorded real ConsistentBackups', () => {
  test('every recorded state has an expectation', async () => {
    const recorded = (await readdir(snapshots)).map((f) => f.replace(/\.json$/, '')).sort();
    assert.deepEqual(recorded, expected.map(([name]) => name).sort());
  });

  for (const [name, status, message] of expected) {
    test(`${name} -> ${status}`, async () => {
      const health = await argocdHealth(await load(name));
      assert.equal(health.status, status, health.message);
      assert.match(health.message, message);
    });
  }

  test('a generation the operator has not observed yet is Progressing, whatever the old status says', async () => {
    const cr = await load('scheduled-rpo-met');
    const edited = {
      ...cr,
      metadata: { ...cr.metadata, generation: (cr.status?.observedGeneration ?? 0) + 1 },
    };
    assert.equal((await argocdHealth(edited)).status, 'Progressing');
    const created = { ...cr, status: undefined };
    assert.equal((await argocdHealth(created)).status, 'Progressing');
  });

  test('a one-shot whose records cannot be read yet stays Progressing; records that do not add up are Degraded', async () => {
    const cr = await load('one-shot-app-consistent');
    const unverified = (evidence: object) => ({
      ...cr,
      status: {
        ...cr.status,
        phase: 'Pending',
        lastBackup: { ...cr.status?.lastBackup, consistency: 'Unverified', evidence },
      },
    });
    assert.equal(
      (await argocdHealth(unverified({ unavailable: 'bucket unreachable' }))).status,
      'Progressing',
    );
    assert.equal((await argocdHealth(unverified({ hooks: [] }))).status, 'Degraded');
  });
});

describe('Argo CD run-now action', () => {
  test('discovery offers run-now', async () => {
    const actions = await runArgocdScript<Record<string, { disabled: boolean }>>(
      'actions/discovery.lua',
      await load('scheduled-rpo-met'),
    );
    assert.deepEqual(actions, { 'run-now': { disabled: false } });
  });

  test('the action sets a run-now token the operator accepts, keeping the other annotations', async () => {
    const cr = await load('scheduled-rpo-met');
    cr.metadata = { ...cr.metadata, annotations: { team: 'shop' } };
    const patched = await runArgocdScript<ConsistentBackup>('actions/run-now/action.lua', cr);
    const token = patched.metadata?.annotations?.[RUN_NOW_ANNOTATION];
    assert.match(token ?? '', /^\d{8}T\d{6}Z$/);
    assert.equal(patched.metadata?.annotations?.team, 'shop');
    assert.deepEqual(runNowToken(patched), { token }, 'the operator reads it as a valid token');
  });
});
