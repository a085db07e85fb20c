import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsistentBackupStatus } from '../../src/api/consistent-backup.ts';
import { statusEvents } from '../../src/operator/status-events.ts';

const at = '2026-01-01T00:00:00Z';
const cond = (
  type: string,
  status: 'True' | 'False' | 'Unknown',
  reason = 'R',
  message = `${type} is ${status}`,
) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: at,
});
const withConditions = (...conditions: ReturnType<typeof cond>[]): ConsistentBackupStatus => ({ conditions });
const finished = (name: string, consistency: 'AppConsistent' | 'Inconsistent', phase = 'Completed') =>
  ({ lastBackup: { name, phase, consistency, message: 'why' } }) as ConsistentBackupStatus;

const cases: [string, ConsistentBackupStatus | undefined, ConsistentBackupStatus, string[]][] = [
  [
    'nothing changed: nothing said',
    withConditions(cond('RPOMet', 'True')),
    withConditions(cond('RPOMet', 'True')),
    [],
  ],
  [
    'RPO breached',
    withConditions(cond('RPOMet', 'True')),
    withConditions(cond('RPOMet', 'False')),
    ['Warning RPOBreached'],
  ],
  [
    'RPO restored',
    withConditions(cond('RPOMet', 'False')),
    withConditions(cond('RPOMet', 'True')),
    ['Normal RPORestored'],
  ],
  ['first RPOMet True is not a restore', undefined, withConditions(cond('RPOMet', 'True')), []],
  [
    'unachievable RPO',
    withConditions(),
    withConditions(cond('RPOAchievable', 'False')),
    ['Warning RPOUnachievable'],
  ],
  [
    'invalid spec uses the condition reason',
    withConditions(cond('Ready', 'True')),
    withConditions(cond('Ready', 'False', 'InvalidSpec')),
    ['Warning InvalidSpec'],
  ],
  [
    'waiting for Velero to take up a new Schedule is no warning',
    undefined,
    withConditions(cond('Ready', 'False', 'WaitingForVelero')),
    [],
  ],
  [
    'hooks without targets',
    withConditions(cond('HooksReady', 'True')),
    withConditions(cond('HooksReady', 'False', 'NoMatchingPods')),
    ['Warning NoMatchingPods'],
  ],
  [
    'unsafe hook command',
    withConditions(),
    withConditions(cond('HookCommandsSafe', 'False', 'UnsafeHookCommand')),
    ['Warning UnsafeHookCommand'],
  ],
  ['a backup finished consistent', {}, finished('b1', 'AppConsistent'), ['Normal BackupSucceeded']],
  [
    'a backup finished inconsistent',
    finished('b1', 'AppConsistent'),
    finished('b2', 'Inconsistent', 'PartiallyFailed'),
    ['Warning BackupInconsistent'],
  ],
  [
    'the same finished backup again: nothing',
    finished('b1', 'AppConsistent'),
    finished('b1', 'AppConsistent'),
    [],
  ],
  ['a running backup: nothing yet', {}, { lastBackup: { name: 'b1', phase: 'InProgress' } }, []],
];
for (const [name, before, after, want] of cases) {
  test(`statusEvents: ${name}`, () => {
    assert.deepEqual(
      statusEvents(before, after).map((e) => `${e.type} ${e.reason}`),
      want,
    );
  });
}

test('an inconsistent backup event says which backup, its phase and why', () => {
  const [event] = statusEvents({}, finished('nightly-1', 'Inconsistent', 'PartiallyFailed'));
  assert.equal(event?.note, 'backup nightly-1 ended PartiallyFailed: Inconsistent (why)');
});
