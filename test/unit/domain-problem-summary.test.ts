import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Condition } from '../../src/api/consistent-backup.ts';
import { problemSummary } from '../../src/domain/problem-summary.ts';

const c = (
  type: string,
  status: Condition['status'],
  reason: string,
  message = `${reason} message`,
): Condition => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2025-06-01T00:00:00Z',
});
const fine = [
  c('Ready', 'True', 'ScheduleEnabled'),
  c('RPOMet', 'True', 'WithinRPO'),
  c('HooksReady', 'True', 'HooksReady'),
];

const table: [string, Condition[], string | undefined][] = [
  ['nothing wrong', fine, undefined],
  [
    'missing storage location, Ready still True',
    [...fine, c('StorageAvailable', 'False', 'StorageLocationNotFound')],
    'StorageLocationNotFound',
  ],
  [
    'invalid spec first',
    [c('Ready', 'False', 'InvalidSpec'), c('RPOMet', 'False', 'RPOBreached')],
    'InvalidSpec',
  ],
  [
    'unachievable before breached',
    [c('RPOMet', 'False', 'RPOBreached'), c('RPOAchievable', 'False', 'ScheduleGapExceedsRPO')],
    'ScheduleGapExceedsRPO',
  ],
  ['hooks failing', [...fine, c('LastBackupConsistent', 'False', 'HooksFailed')], 'HooksFailed'],
  ['suspended is no problem', [c('Ready', 'False', 'Suspended')], undefined],
  ['a one-shot in progress is no problem', [c('Ready', 'False', 'BackupInProgress')], undefined],
  ['Unverified is', [c('Ready', 'Unknown', 'BackupUnverified')], 'BackupUnverified'],
];

for (const [what, conditions, reason] of table) {
  test(`problem summary: ${what}`, () => {
    assert.equal(problemSummary(conditions)?.reason, reason);
  });
}

test('problem summary: long messages are cut to fit the column', () => {
  const summary = problemSummary([c('Ready', 'False', 'InvalidSpec', 'x'.repeat(500))]);
  assert.equal(summary?.message?.length, 200);
  assert.equal(summary?.condition, 'Ready');
});
