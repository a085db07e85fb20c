import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VELERO_BACKUP_PHASES, type VeleroBackupStatus } from '../../src/api/velero.ts';
import { phaseStage } from '../../src/domain/backup-phase.ts';
import { gradeBackup, type GradingContext } from '../../src/domain/grading.ts';
import { consistentBackup, veleroBackup } from './domain-fixtures.ts';

const cr = consistentBackup();

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

describe('grades', () => {
  const table: [
    string,
    VeleroBackupStatus,
    boolean,
    string | undefined,
    string | undefined,
    RegExp | undefined,
    GradingContext?,
  ][] = [
    // [case, status, hooks declared in the Backup, consistency, reason, message, what preflight expected]
    [
      'Completed, hooks ran',
      { phase: 'Completed', hookStatus: { hooksAttempted: 2, hooksFailed: 0 } },
      true,
      'AppConsistent',
      'AppConsistent',
      /2 hook executions ran, none failed/,
    ],
    [
      'Completed, no hooks declared',
      { phase: 'Completed' },
      false,
      'CrashConsistent',
      'CrashConsistent',
      /without hooks/,
    ],
    [
      'Completed, hooks declared but none ran',
      { phase: 'Completed', hookStatus: { hooksAttempted: 0, hooksFailed: 0 } },
      true,
      'Inconsistent',
      'NoHooksRan',
      /ran none of the declared hooks/,
    ],
    [
      'Completed, no hookStatus at all',
      { phase: 'Completed' },
      true,
      'Inconsistent',
      'NoHooksRan',
      /ran none/,
    ],
    [
      'Completed but a hook failed',
      { phase: 'Completed', hookStatus: { hooksAttempted: 2, hooksFailed: 1 } },
      true,
      'Inconsistent',
      'HooksFailed',
      /1 of 2 hook executions failed/,
    ],
    [
      'Completed, fewer hooks than preflight expected',
      { phase: 'Completed', hookStatus: { hooksAttempted: 1, hooksFailed: 0 } },
      true,
      'Inconsistent',
      'HooksMissed',
      /attempted 1 of the 3 expected hook executions$/,
      { expectedHookExecutions: 3 },
    ],
    [
      'Completed, fewer hooks than expected: the message says where they were expected',
      { phase: 'Completed', hookStatus: { hooksAttempted: 1, hooksFailed: 0 } },
      true,
      'Inconsistent',
      'HooksMissed',
      /^Completed, but Velero attempted 1 of the 2 expected hook executions \(hook db expected 2 executions on pods db-0, db-1\)$/,
      { expectedHookExecutions: 2, expectedHookTargets: 'hook db expected 2 executions on pods db-0, db-1' },
    ],
    [
      'Completed while a hook had no target: Inconsistent even when the count is met',
      { phase: 'Completed', hookStatus: { hooksAttempted: 1, hooksFailed: 0 } },
      true,
      'Inconsistent',
      'HookTargetsMissing',
      /1 hook had no pod to run in when it started \(cache\), so it ran nowhere/,
      { expectedHookExecutions: 1, hooksWithoutTarget: ['cache'] },
    ],
    [
      'Completed, more hooks than expected (e.g. a pod was added meanwhile)',
      { phase: 'Completed', hookStatus: { hooksAttempted: 4, hooksFailed: 0 } },
      true,
      'AppConsistent',
      'AppConsistent',
      /4 hook executions/,
      { expectedHookExecutions: 3 },
    ],
    [
      'a failed hook is reported before missed ones',
      { phase: 'Completed', hookStatus: { hooksAttempted: 1, hooksFailed: 1 } },
      true,
      'Inconsistent',
      'HooksFailed',
      /1 of 1 hook execution failed/,
      { expectedHookExecutions: 2, hooksWithoutTarget: ['cache'] },
    ],
    [
      'Completed, as many hooks as expected',
      { phase: 'Completed', hookStatus: { hooksAttempted: 3, hooksFailed: 0 } },
      true,
      'AppConsistent',
      'AppConsistent',
      /3 hook executions/,
      { expectedHookExecutions: 3 },
    ],
    [
      'PartiallyFailed by a hook',
      { phase: 'PartiallyFailed', errors: 1, hookStatus: { hooksAttempted: 1, hooksFailed: 1 } },
      true,
      'Inconsistent',
      'HooksFailed',
      /PartiallyFailed: 1 of 1 hook execution failed \(Velero reports failed hooks as PartiallyFailed, never as Failed\)/,
    ],
    [
      'PartiallyFailed otherwise',
      { phase: 'PartiallyFailed', errors: 3, hookStatus: { hooksAttempted: 1, hooksFailed: 0 } },
      true,
      'Inconsistent',
      'BackupPartiallyFailed',
      /3 errors and no failed hook/,
    ],
    [
      'PartiallyFailed without hooks',
      { phase: 'PartiallyFailed', errors: 1 },
      false,
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
      'Inconsistent',
      'BackupFailed',
      /Failed \(found a backup.*not a hook \(Velero reports hook failures as PartiallyFailed\)/,
    ],
    [
      'FailedValidation',
      { phase: 'FailedValidation', validationErrors: ['backup storage location "x" not found'] },
      true,
      'Inconsistent',
      'BackupFailedValidation',
      /refused .*location "x" not found/,
    ],
    ['no phase yet', {}, true, undefined, undefined, undefined],
    ['New', { phase: 'New' }, true, undefined, undefined, undefined],
    ['InProgress', { phase: 'InProgress' }, true, undefined, undefined, undefined],
    [
      'WaitingForPluginOperationsPartiallyFailed',
      { phase: 'WaitingForPluginOperationsPartiallyFailed' },
      true,
      undefined,
      undefined,
      undefined,
    ],
    ['Deleting', { phase: 'Deleting' }, true, undefined, undefined, undefined],
    ['unknown phase', { phase: 'Exploded' }, true, undefined, undefined, undefined],
  ];
  for (const [name, status, hooks, consistency, reason, message, expected] of table) {
    test(name, () => {
      const grade = gradeBackup(veleroBackup(cr, 'b', status, { hooks }), expected);
      assert.equal(grade?.consistency, consistency);
      assert.equal(grade?.reason, reason);
      if (message) assert.match(grade?.message ?? '', message);
    });
  }
});
