import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  VELERO_BACKUP_PHASES,
  type VeleroBackupStatus,
  type VeleroHookResource,
} from '../../src/api/velero.ts';
import { phaseStage } from '../../src/domain/backup-phase.ts';
import type { BackupEvidence, Consistency } from '../../src/api/consistent-backup.ts';
import { gradeBackup, needsEvidence } from '../../src/domain/grading.ts';
import { consistentBackup, evidence, hookResource, veleroBackup } from './domain-fixtures.ts';

const cr = consistentBackup();
// Every value of the Consistency enum (the compiler checks the record is complete).
const CONSISTENCIES = Object.keys({
  AppConsistent: true,
  CrashConsistent: true,
  Inconsistent: true,
  Unverified: true,
} satisfies Record<Consistency, true>);

describe('every Velero Backup phase has a stage', () => {
  const table: [string | undefined, string][] = [
    [undefined, 'queued'],
    ['', 'queued'],
    ['New', 'queued'],
    ['Queued', 'queued'],
    ['ReadyToStart', 'queued'],
    ['InProgress', 'running'],
    ['WaitingForPluginOperations', 'running'],
    ['WaitingForPluginOperationsPartiallyFailed', 'running'],
    ['Finalizing', 'running'],
    ['FinalizingPartiallyFailed', 'running'],
    ['Completed', 'finished'],
    ['PartiallyFailed', 'finished'],
    ['Failed', 'finished'],
    ['FailedValidation', 'finished'],
    ['Deleting', 'deleting'],
    ['SomethingNew', 'unknown'],
  ];
  for (const [phase, stage] of table)
    test(`${JSON.stringify(phase)} -> ${stage}`, () => assert.equal(phaseStage(phase), stage));
  test('the table covers every phase in the Velero CRD', () => {
    const covered = new Set(table.map(([phase]) => phase));
    for (const phase of VELERO_BACKUP_PHASES) assert.ok(covered.has(phase), phase);
  });
});

// Two hooks declared in the Backup: db (pre) and cache (pre and post).
const twoHooks: VeleroHookResource[] = [
  hookResource(),
  hookResource({
    name: 'cache',
    pre: [{ exec: { container: 'redis', command: ['true'], onError: 'Fail' } }],
    post: [{ exec: { container: 'redis', command: ['true'], onError: 'Continue' } }],
  }),
];

describe('grades, from Velero status and its records of the backup', () => {
  const completed = (attempted: number, failed = 0): VeleroBackupStatus => ({
    phase: 'Completed',
    hookStatus: { hooksAttempted: attempted, ...(failed > 0 && { hooksFailed: failed }) },
  });
  const ranDb = evidence([['db', 1, 1]]);
  const table: [
    string,
    VeleroBackupStatus,
    boolean | VeleroHookResource[],
    BackupEvidence | undefined,
    string | undefined,
    string | undefined,
    RegExp | undefined,
  ][] = [
    // [case, status, hooks declared in the Backup, evidence, consistency, reason, message]
    [
      'Completed, every hook ran in every pod it reached',
      completed(1),
      true,
      ranDb,
      'AppConsistent',
      'AppConsistent',
      /^Completed; 1 hook execution ran, none failed, every hook in every pod it reached$/,
    ],
    [
      'Completed, two hooks, pods of both ran every action',
      completed(5),
      twoHooks,
      evidence([
        ['db', 1, 1],
        ['cache', 4, 4],
      ]),
      'AppConsistent',
      'AppConsistent',
      /5 hook executions ran/,
    ],
    [
      "Completed, pods' own annotation hooks count towards Velero's total",
      completed(2),
      true,
      evidence([
        ['db', 1, 1],
        ['<from-annotation>', 1, 1],
      ]),
      'AppConsistent',
      'AppConsistent',
      /2 hook executions ran/,
    ],
    [
      'Completed with hooks, records not read yet: no grade yet',
      completed(1),
      true,
      undefined,
      undefined,
      undefined,
      undefined,
    ],
    [
      "Completed with hooks, Velero's records unreadable",
      completed(1),
      true,
      { unavailable: 'DownloadRequest not processed within 30s' },
      'Unverified',
      'Unverified',
      /^Completed, but Velero's records of it could not be read, .*: DownloadRequest not processed within 30s$/,
    ],
    [
      "Completed, the log accounts for fewer executions than Velero's status",
      completed(2),
      true,
      ranDb,
      'Unverified',
      'EvidenceIncomplete',
      /^Completed, but Velero's log shows 1 hook execution where its status counts 2$/,
    ],
    [
      "Completed, the log shows more executions than Velero's status",
      completed(1),
      true,
      evidence([['db', 2, 2]]),
      'Unverified',
      'EvidenceIncomplete',
      /log shows 2 hook executions where its status counts 1/,
    ],
    [
      'Completed, no hooks declared',
      { phase: 'Completed' },
      false,
      undefined,
      'CrashConsistent',
      'CrashConsistent',
      /without hooks/,
    ],
    [
      'Completed, hooks declared but Velero attempted none',
      completed(0),
      true,
      evidence([['db', 0, 0]]),
      'Inconsistent',
      'NoHooksRan',
      /ran none of the declared hooks/,
    ],
    [
      "Completed, no hookStatus at all: Velero's count alone tells, records or not",
      { phase: 'Completed' },
      true,
      undefined,
      'Inconsistent',
      'NoHooksRan',
      /ran none/,
    ],
    [
      'Completed, none attempted and records unreadable: still known to be inconsistent',
      completed(0),
      true,
      { unavailable: 'storage location unavailable' },
      'Inconsistent',
      'NoHooksRan',
      /ran none/,
    ],
    [
      'Completed, one of two hooks ran in no pod',
      completed(1),
      twoHooks,
      evidence([
        ['db', 1, 1],
        ['cache', 0, 0],
      ]),
      'Inconsistent',
      'HookRanNowhere',
      /^Completed, but 1 hook ran in no pod \(cache\): no pod in the backup matched, or pod hook annotations replaced it$/,
    ],
    [
      'Completed, a hook ran only where annotations left it nothing to do',
      completed(1),
      true,
      evidence([
        ['db', 0, 0],
        ['<from-annotation>', 1, 1],
      ]),
      'Inconsistent',
      'HookRanNowhere',
      /1 hook ran in no pod \(db\)/,
    ],
    [
      'Completed, a pod skipped some actions of a hook',
      completed(3),
      twoHooks,
      evidence([
        ['db', 1, 1],
        ['cache', 4, 2],
      ]),
      'Inconsistent',
      'HooksMissed',
      /^Completed, but some pods did not run every action of their hooks \(hook cache ran 2 of 4\)/,
    ],
    [
      'Completed but a hook failed: named with the pods it left out',
      completed(2, 1),
      true,
      evidence([['db', 2, 2, 1]], { podsLeftOut: ['db-1'] }),
      'Inconsistent',
      'HooksFailed',
      /^Completed, but 1 of 2 hook executions failed \(hook db failed 1 of 2; pods left out of the backup: db-1\)$/,
    ],
    [
      'Completed but a hook failed: graded at once, before the records are read',
      completed(2, 1),
      true,
      undefined,
      'Inconsistent',
      'HooksFailed',
      /^Completed, but 1 of 2 hook executions failed$/,
    ],
    [
      'PartiallyFailed by a hook',
      { phase: 'PartiallyFailed', errors: 1, hookStatus: { hooksAttempted: 1, hooksFailed: 1 } },
      true,
      undefined,
      'Inconsistent',
      'HooksFailed',
      /PartiallyFailed: 1 of 1 hook execution failed \(Velero reports failed hooks as PartiallyFailed, never as Failed\)/,
    ],
    [
      'PartiallyFailed by a hook, with where from the records',
      { phase: 'PartiallyFailed', errors: 2, hookStatus: { hooksAttempted: 2, hooksFailed: 1 } },
      true,
      evidence([['db', 3, 1, 1]], { podsLeftOut: ['db-0'] }),
      'Inconsistent',
      'HooksFailed',
      /^PartiallyFailed: 1 of 2 hook executions failed \(hook db failed 1 of 1; pods left out of the backup: db-0\) \(Velero/,
    ],
    [
      'PartiallyFailed by a hook, records unreadable: no detail, same grade',
      { phase: 'PartiallyFailed', errors: 1, hookStatus: { hooksAttempted: 1, hooksFailed: 1 } },
      true,
      { unavailable: 'x' },
      'Inconsistent',
      'HooksFailed',
      /^PartiallyFailed: 1 of 1 hook execution failed \(Velero reports/,
    ],
    [
      'PartiallyFailed otherwise',
      { phase: 'PartiallyFailed', errors: 3, hookStatus: { hooksAttempted: 1, hooksFailed: 0 } },
      true,
      ranDb,
      'Inconsistent',
      'BackupPartiallyFailed',
      /3 errors and no failed hook/,
    ],
    [
      'PartiallyFailed without hooks',
      { phase: 'PartiallyFailed', errors: 1 },
      false,
      undefined,
      'Inconsistent',
      'BackupPartiallyFailed',
      /1 error and no failed hook/,
    ],
    [
      'Failed',
      {
        phase: 'Failed',
        failureReason: 'found a backup with status "InProgress" during the server starting',
      },
      true,
      undefined,
      'Inconsistent',
      'BackupFailed',
      /Failed \(found a backup.*not a hook \(Velero reports hook failures as PartiallyFailed\)/,
    ],
    [
      'FailedValidation',
      { phase: 'FailedValidation', validationErrors: ['backup storage location "x" not found'] },
      true,
      undefined,
      'Inconsistent',
      'BackupFailedValidation',
      /refused .*location "x" not found/,
    ],
    ['no phase yet', {}, true, undefined, undefined, undefined, undefined],
    ['New', { phase: 'New' }, true, undefined, undefined, undefined, undefined],
    ['InProgress', { phase: 'InProgress' }, true, ranDb, undefined, undefined, undefined],
    [
      'WaitingForPluginOperationsPartiallyFailed',
      { phase: 'WaitingForPluginOperationsPartiallyFailed' },
      true,
      undefined,
      undefined,
      undefined,
      undefined,
    ],
    ['Deleting', { phase: 'Deleting' }, true, ranDb, undefined, undefined, undefined],
    ['unknown phase', { phase: 'Exploded' }, true, undefined, undefined, undefined, undefined],
  ];
  for (const [name, status, hooks, records, consistency, reason, message] of table) {
    test(name, () => {
      const grade = gradeBackup(veleroBackup(cr, 'b', status, { hooks }), records);
      assert.equal(grade?.consistency, consistency);
      assert.equal(grade?.reason, reason);
      if (message) assert.match(grade?.message ?? '', message);
    });
  }

  test('every consistency and every reason is in the table', () => {
    const graded = table.map(([, status, hooks, records]) =>
      gradeBackup(veleroBackup(cr, 'b', status, { hooks }), records),
    );
    assert.deepEqual(new Set(graded.map((g) => g?.consistency).filter(Boolean)), new Set(CONSISTENCIES));
    assert.deepEqual(
      new Set(graded.map((g) => g?.reason).filter(Boolean)),
      new Set([
        'AppConsistent',
        'CrashConsistent',
        'Unverified',
        'EvidenceIncomplete',
        'NoHooksRan',
        'HookRanNowhere',
        'HooksMissed',
        'HooksFailed',
        'BackupPartiallyFailed',
        'BackupFailed',
        'BackupFailedValidation',
      ]),
    );
  });

  test('the same backup and records always give the same grade', () => {
    for (const [, status, hooks, records] of table) {
      const backup = veleroBackup(cr, 'b', status, { hooks });
      const copy = structuredClone(records);
      assert.deepEqual(gradeBackup(backup, records), gradeBackup(structuredClone(backup), copy));
    }
  });
});

describe("which backups need Velero's records", () => {
  const table: [string, VeleroBackupStatus, boolean, boolean][] = [
    // [case, status, hooks declared, needs evidence]
    ['Completed with hooks', { phase: 'Completed' }, true, true],
    ['PartiallyFailed with hooks (for the detail)', { phase: 'PartiallyFailed' }, true, true],
    ['Failed with hooks', { phase: 'Failed' }, true, true],
    ['FailedValidation: Velero took nothing, wrote no records', { phase: 'FailedValidation' }, true, false],
    ['Completed without hooks', { phase: 'Completed' }, false, false],
    ['still running', { phase: 'InProgress' }, true, false],
    ['queued', { phase: 'New' }, true, false],
    ['being deleted', { phase: 'Deleting' }, true, false],
  ];
  for (const [name, status, hooks, wanted] of table)
    test(name, () => assert.equal(needsEvidence(veleroBackup(cr, 'b', status, { hooks })), wanted));

  test('a hook resource without actions declares no hooks', () => {
    const backup = veleroBackup(cr, 'b', { phase: 'Completed' }, { hooks: [hookResource({ pre: [] })] });
    assert.equal(needsEvidence(backup), false);
    assert.equal(gradeBackup(backup)?.consistency, 'CrashConsistent');
  });
});
