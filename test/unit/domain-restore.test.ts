import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import type { ConsistentRestore } from '../../src/api/consistent-restore.ts';
import type { VeleroBackup, VeleroRestore } from '../../src/api/velero.ts';
import { ownerLabels } from '../../src/domain/owner-labels.ts';
import {
  computeRestoreStatus,
  isScratchOf,
  planRestore,
  resolveSource,
  restoreNames,
  scratchLabels,
} from '../../src/domain/restore/index.ts';

const UID = '0b9f6d2e-8f1a-4c3b-9a7e-2d4c6b8a0e1f';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NOW = Date.parse('2026-12-01T10:00:00Z');

function restoreCr(spec: Partial<ConsistentRestore['spec']> = {}, namespace = 'shop'): ConsistentRestore {
  return {
    metadata: { name: 'r1', namespace, uid: 'r-uid', generation: 1 },
    spec: { source: { consistentBackup: 'orders' }, ...spec },
  };
}

const cb: ConsistentBackup = {
  metadata: { name: 'orders', namespace: 'shop', uid: 'cb-uid' },
  spec: {},
  status: { lastConsistentBackup: { name: 'b-good', startTimestamp: '2026-12-01T09:00:00Z' } },
};

function backup(name: string, phase: string, owner = { namespace: 'shop', name: 'orders', uid: 'cb-uid' }) {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name, namespace: 'velero', labels: ownerLabels(owner) },
    spec: {},
    status: { phase, startTimestamp: '2026-12-01T09:00:00Z' },
  } as VeleroBackup;
}

describe('restore names', () => {
  const cases: [string, { namespace: string; name: string; uid: string }][] = [
    ['short', { namespace: 'shop', name: 'r1', uid: UID }],
    ['63-character namespace and name', { namespace: 'n'.repeat(63), name: 'm'.repeat(63), uid: UID }],
    ['dots', { namespace: 'a-', name: 'x.y.z', uid: UID }],
  ];
  for (const [what, owner] of cases) {
    test(`${what}: DNS labels of at most 63 characters, the same every time`, () => {
      const names = restoreNames(owner);
      for (const name of [names.veleroRestore, names.scratchNamespace]) {
        assert.ok(name.length <= 63, name);
        assert.match(name, DNS_LABEL);
      }
      assert.deepEqual(restoreNames({ ...owner }), names);
      assert.ok(names.veleroRestore.startsWith('cbo-'));
    });
  }
  test('another uid, another scratch namespace', () => {
    assert.notEqual(
      restoreNames({ namespace: 'shop', name: 'r', uid: 'a' }).scratchNamespace,
      restoreNames({ namespace: 'shop', name: 'r', uid: 'b' }).scratchNamespace,
    );
  });
  test('a namespace is scratch of a restore only with all its labels', () => {
    const owner = { namespace: 'shop', name: 'r1', uid: UID };
    const labels = scratchLabels(owner);
    assert.ok(isScratchOf({ metadata: { labels } }, owner));
    assert.ok(
      !isScratchOf({ metadata: { labels: { ...labels, 'consistentbackup.io/restore-uid': 'x' } } }, owner),
    );
    assert.ok(
      !isScratchOf({ metadata: { labels: { ...labels, 'consistentbackup.io/restore-of': 'x' } } }, owner),
    );
    assert.ok(!isScratchOf({ metadata: {} }, owner));
  });
});

describe('which backup a restore takes', () => {
  const cases: [string, ConsistentRestore, ConsistentBackup | undefined, VeleroBackup[], string][] = [
    ['newest consistent', restoreCr(), cb, [backup('b-good', 'Completed')], 'ok:b-good'],
    [
      'named',
      restoreCr({ source: { consistentBackup: 'orders', backup: 'b-old' } }),
      cb,
      [backup('b-old', 'PartiallyFailed')],
      'ok:b-old',
    ],
    ['no ConsistentBackup', restoreCr(), undefined, [], 'Pending:ConsistentBackupNotFound'],
    ['no consistent backup yet', restoreCr(), { ...cb, status: {} }, [], 'Pending:NoConsistentBackup'],
    [
      "another namespace's backup",
      restoreCr({ source: { consistentBackup: 'orders', backup: 'theirs' } }),
      cb,
      [backup('theirs', 'Completed', { namespace: 'other', name: 'orders', uid: 'cb-uid' })],
      'Refused:BackupNotOwned',
    ],
    [
      'a backup of an earlier ConsistentBackup of the same name',
      restoreCr({ source: { consistentBackup: 'orders', backup: 'old' } }),
      cb,
      [backup('old', 'Completed', { namespace: 'shop', name: 'orders', uid: 'earlier' })],
      'Refused:BackupNotOwned',
    ],
    [
      'no such backup',
      restoreCr({ source: { consistentBackup: 'orders', backup: 'nope' } }),
      cb,
      [],
      'Refused:BackupNotOwned',
    ],
    [
      'a failed backup',
      restoreCr({ source: { consistentBackup: 'orders', backup: 'f' } }),
      cb,
      [backup('f', 'Failed')],
      'Refused:BackupNotRestorable',
    ],
    [
      'a running backup',
      restoreCr({ source: { consistentBackup: 'orders', backup: 'f' } }),
      cb,
      [backup('f', 'InProgress')],
      'Refused:BackupNotRestorable',
    ],
  ];
  for (const [what, cr, consistentBackup, backups, expected] of cases) {
    test(what, () => {
      const r = resolveSource(cr, consistentBackup, backups);
      assert.equal(r.ok ? `ok:${r.backup.metadata.name}` : `${r.phase}:${r.reason}`, expected);
    });
  }
});

describe('the Velero Restore a ConsistentRestore wants', () => {
  test('scratch: the one namespace mapped into the scratch namespace, hooks then checks, all bounded', () => {
    const cr = restoreCr({
      hooks: [
        {
          name: 'h',
          selector: { matchLabels: { app: 'db' } },
          container: 'db',
          exec: [{ command: ['true'] }],
        },
      ],
      checks: [
        {
          name: 'pg',
          selector: { matchLabels: { app: 'db' } },
          container: 'db',
          preset: { name: 'postgresql' },
        },
        {
          name: 'own',
          selector: { matchLabels: { app: 'db' } },
          command: ['test', '-f', 'x'],
          timeout: '10s',
        },
      ],
    });
    const result = planRestore(cr, 'b-good', 'velero');
    assert.ok(result.ok);
    const { restore, targetNamespace, declaredActions } = result.plan;
    assert.equal(
      targetNamespace,
      restoreNames({ namespace: 'shop', name: 'r1', uid: 'r-uid' }).scratchNamespace,
    );
    assert.deepEqual(restore.spec.includedNamespaces, ['shop']);
    assert.deepEqual(restore.spec.namespaceMapping, { shop: targetNamespace });
    assert.equal(restore.spec.includeClusterResources, false);
    assert.equal(declaredActions, 3);
    const resources = restore.spec.hooks?.resources ?? [];
    assert.deepEqual(
      resources.map((r) => r.name),
      ['h', 'check-pg', 'check-own'],
    );
    for (const r of resources) {
      assert.deepEqual(r.includedNamespaces, [targetNamespace], 'hooks run only in the target namespace');
      for (const h of r.postHooks ?? []) {
        if (!('exec' in h)) continue;
        assert.ok(h.exec.waitTimeout, 'never an unbounded wait');
        assert.ok(h.exec.execTimeout);
        assert.ok(h.exec.onError);
      }
    }
    const pg = resources[1]?.postHooks?.[0];
    assert.ok(pg && 'exec' in pg && pg.exec.command[2]?.includes('SELECT 1'));
  });

  test('in place: no mapping, hooks in the namespace itself', () => {
    const result = planRestore(restoreCr({ target: 'InPlace' }), 'b', 'velero');
    assert.ok(result.ok);
    assert.equal(result.plan.targetNamespace, 'shop');
    assert.equal(result.plan.restore.spec.namespaceMapping, undefined);
  });

  const invalid: [string, Partial<ConsistentRestore['spec']>, RegExp][] = [
    [
      'unknown preset parameter',
      { checks: [{ name: 'c', selector: {}, preset: { name: 'redis', parameters: { bogus: '1' } } }] },
      /unknown parameter "bogus"/,
    ],
    [
      'bad minKeys',
      { checks: [{ name: 'c', selector: {}, preset: { name: 'redis', parameters: { minKeys: 'many' } } }] },
      /minKeys/,
    ],
    [
      'check timeout too long',
      { checks: [{ name: 'c', selector: {}, preset: { name: 'mysql', timeout: '2h' } }] },
      /timeout/,
    ],
    ['a hook with nothing to do', { hooks: [{ name: 'h', selector: {} }] }, /neither exec nor init/],
  ];
  for (const [what, spec, problem] of invalid) {
    test(`invalid: ${what}`, () => {
      const result = planRestore(restoreCr(spec), 'b', 'velero');
      assert.ok(!result.ok);
      assert.match(result.problems.join('; '), problem);
    });
  }
});

describe('ConsistentRestore status from Velero', () => {
  function velero(status: VeleroRestore['status'], hooks = 2): VeleroRestore {
    const planned = planRestore(
      restoreCr({
        checks: Array.from({ length: hooks }, (_, i) => ({ name: `c${i}`, selector: {}, command: ['true'] })),
      }),
      'b-good',
      'velero',
    );
    assert.ok(planned.ok);
    return {
      ...planned.plan.restore,
      metadata: { ...planned.plan.restore.metadata, creationTimestamp: '2026-12-01T09:59:00Z' },
      status,
    };
  }
  const cases: [string, VeleroRestore['status'], string, string | undefined][] = [
    ['in progress', { phase: 'InProgress' }, 'Restoring', 'Unknown:Restoring'],
    [
      'completed, all checks ran',
      { phase: 'Completed', completionTimestamp: '2026-12-01T09:59:42Z', hookStatus: { hooksAttempted: 2 } },
      'Succeeded',
      'True:ChecksPassed',
    ],
    [
      'a check failed',
      {
        phase: 'PartiallyFailed',
        errors: 1,
        completionTimestamp: '2026-12-01T09:59:42Z',
        hookStatus: { hooksAttempted: 2, hooksFailed: 1 },
      },
      'Failed',
      'False:CheckFailed',
    ],
    [
      'checks matched no pod',
      { phase: 'Completed', completionTimestamp: '2026-12-01T09:59:42Z' },
      'Failed',
      'False:ChecksNotRun',
    ],
    [
      'partially failed without hook failures',
      {
        phase: 'PartiallyFailed',
        errors: 3,
        completionTimestamp: '2026-12-01T09:59:42Z',
        hookStatus: { hooksAttempted: 2 },
      },
      'Failed',
      'False:RestorePartiallyFailed',
    ],
    [
      'failed validation',
      { phase: 'FailedValidation', validationErrors: ['backup not found'] },
      'Failed',
      'False:RestoreFailedValidation',
    ],
  ];
  for (const [what, status, phase, checks] of cases) {
    test(what, () => {
      const s = computeRestoreStatus(
        restoreCr(),
        {
          kind: 'restoring',
          restore: velero(status),
          targetNamespace: 't',
          declaredActions: 2,
          recoveryPoint: '2026-12-01T09:00:00Z',
        },
        NOW,
      );
      assert.equal(s.phase, phase, s.message);
      const c = s.conditions?.find((x) => x.type === 'ChecksPassed');
      assert.equal(`${c?.status}:${c?.reason}`, checks);
      if (status?.completionTimestamp) {
        assert.equal(s.durationSeconds, 42);
        assert.equal(s.duration, '42s');
      }
      assert.equal(s.recoveryPoint, '2026-12-01T09:00:00Z');
    });
  }
  test('blocked: phase and reason, nothing invented', () => {
    const s = computeRestoreStatus(
      restoreCr(),
      { kind: 'blocked', phase: 'Refused', reason: 'BackupNotOwned', message: 'm' },
      NOW,
    );
    assert.equal(s.phase, 'Refused');
    assert.equal(s.restoreName, undefined);
    assert.equal(s.conditions?.find((c) => c.type === 'Restored')?.reason, 'BackupNotOwned');
  });
  test('lastTransitionTime stays when nothing flips', () => {
    const situation = {
      kind: 'restoring' as const,
      restore: velero({ phase: 'InProgress' }),
      targetNamespace: 't',
      declaredActions: 2,
    };
    const first = computeRestoreStatus(restoreCr(), situation, NOW);
    const again = computeRestoreStatus({ ...restoreCr(), status: first }, situation, NOW + 60_000);
    assert.deepEqual(again.conditions, first.conditions);
  });
});
