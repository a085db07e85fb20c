import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BackupHistoryEntry, ConsistentBackupStatus } from '../../src/api/consistent-backup.ts';
import type { RestoreDrill } from '../../src/api/consistent-restore.ts';
import {
  drillRecoverability,
  failedHookExecutions,
  recoverability,
} from '../../src/domain/recoverability.ts';
import { CREATED, consistentBackup } from './domain-fixtures.ts';

const T0 = Date.parse(CREATED);
const H = 3_600_000;
const at = (ms: number) => new Date(ms).toISOString();

function entry(
  name: string,
  consistency: BackupHistoryEntry['consistency'],
  createdMs = T0,
): BackupHistoryEntry {
  return { name, trigger: 'schedule', creationTimestamp: at(createdMs), ...(consistency && { consistency }) };
}

describe('recoverability read from status and the clock', () => {
  test('RPO numbers: target, recovery point, met, signed seconds to the deadline, next run', () => {
    const status: ConsistentBackupStatus = {
      phase: 'Scheduled',
      rpo: { target: '6h', recoveryPoint: at(T0 + H), deadline: at(T0 + 7 * H), met: true },
      nextBackupTime: at(T0 + 6 * H),
      lastBackup: { name: 'b1', consistency: 'AppConsistent' },
    };
    const cr = consistentBackup({ schedule: '0 */6 * * *', rpo: '6h' }, {}, status);
    const before = recoverability(cr, T0 + 2 * H);
    assert.equal(before.rpoTargetSeconds, 6 * 3600);
    assert.equal(before.recoveryPointSeconds, (T0 + H) / 1000);
    assert.equal(before.rpoMet, true);
    assert.equal(before.rpoDeadlineRemainingSeconds, 5 * 3600);
    assert.equal(before.nextRunSeconds, (T0 + 6 * H) / 1000);
    assert.equal(before.lastGrade, 'AppConsistent');
    // After the deadline the same status reads as seconds since it passed.
    assert.equal(recoverability(cr, T0 + 8 * H).rpoDeadlineRemainingSeconds, -3600);
  });

  test('an RPO counting verified backups only: its point, not the newest consistent backup', () => {
    const status: ConsistentBackupStatus = {
      phase: 'Scheduled',
      lastConsistentBackup: { name: 'b2', startTimestamp: at(T0 + 2 * H), consistency: 'AppConsistent' },
      rpo: { target: '6h', deadline: at(T0 + 6 * H), met: true },
    };
    const cr = consistentBackup({ rpo: '6h', rpoCounts: 'Verified' }, {}, status);
    assert.equal(recoverability(cr, T0).recoveryPointSeconds, undefined);
    const verified = { ...status, rpo: { ...status.rpo, recoveryPoint: at(T0 + H) } };
    assert.equal(recoverability({ ...cr, status: verified }, T0).recoveryPointSeconds, (T0 + H) / 1000);
  });

  test('nothing known yet: only what the spec says, no zeros pretending to be data', () => {
    const r = recoverability(consistentBackup({ rpo: '24h' }), T0);
    assert.deepEqual(r, { rpoTargetSeconds: 86_400, consecutiveInconsistent: 0, missedScheduledRuns: 0 });
  });

  const streaks: [string, BackupHistoryEntry['consistency'][], number][] = [
    ['none graded', [undefined, undefined], 0],
    ['newest consistent', ['AppConsistent', 'Inconsistent'], 0],
    ['two in a row, then consistent', ['Inconsistent', 'Inconsistent', 'CrashConsistent', 'Inconsistent'], 2],
    [
      'running and Unverified ones neither extend nor end it',
      [undefined, 'Inconsistent', 'Unverified', 'Inconsistent'],
      2,
    ],
    ['never consistent', ['Inconsistent', 'Inconsistent', 'Inconsistent'], 3],
  ];
  for (const [what, grades, expected] of streaks) {
    test(`consecutive inconsistent: ${what}`, () => {
      const history = grades.map((g, i) => entry(`b${i}`, g, T0 - i * H));
      const r = recoverability(consistentBackup({}, {}, { history }), T0);
      assert.equal(r.consecutiveInconsistent, expected);
    });
  }

  const missed: [string, ConsistentBackupStatus, number, number][] = [
    // [what, status, now, missed]
    [
      'no backup yet, two hourly runs due since creation',
      { phase: 'Scheduled' },
      T0 + 2 * H + 10 * 60_000,
      2,
    ],
    ['a run within its grace is not missed yet', { phase: 'Scheduled' }, T0 + H + 60_000, 0],
    [
      'counted from the newest scheduled backup',
      { phase: 'Scheduled', history: [entry('b', 'AppConsistent', T0 + 5 * H)] },
      T0 + 6 * H + 10 * 60_000,
      1,
    ],
    ['suspended: nothing is due', { phase: 'Suspended' }, T0 + 10 * H, 0],
    ['bounded', { phase: 'Scheduled' }, T0 + 1000 * H, 100],
  ];
  for (const [what, status, now, expected] of missed) {
    test(`missed scheduled runs: ${what}`, () => {
      const cr = consistentBackup({ schedule: '0 * * * *' }, {}, status);
      assert.equal(recoverability(cr, now).missedScheduledRuns, expected);
    });
  }

  test('failed hook executions come from read evidence only', () => {
    assert.equal(
      failedHookExecutions({
        hooks: [
          { name: 'a', failed: 2 },
          { name: 'b', failed: 1 },
        ],
        unattributedFailures: 1,
      }),
      4,
    );
    assert.equal(failedHookExecutions({ unavailable: 'bucket unreachable' }), 0);
    assert.equal(failedHookExecutions(undefined), 0);
  });
});

describe('drill recoverability read from its status', () => {
  const drill = (spec: Partial<RestoreDrill['spec']>, status?: RestoreDrill['status']): RestoreDrill => ({
    metadata: { namespace: 'shop', name: 'weekly' },
    spec: { consistentBackup: 'orders-db', ...spec },
    ...(status && { status }),
  });
  const cases: [string, RestoreDrill, ReturnType<typeof drillRecoverability>][] = [
    ['no drill yet: only the target', drill({ rtoTarget: '15m' }), { rtoTargetSeconds: 900 }],
    ['no target, no drill: nothing', drill({}), {}],
    [
      'passed',
      drill(
        { rtoTarget: '15m' },
        {
          verification: {
            result: 'Passed',
            reason: 'ChecksPassed',
            lastVerifiedRecoveryPoint: at(T0 + H),
            lastVerifiedBackup: 'b1',
            rto: { target: '15m', lastSeconds: 42, last: '42s' },
          },
        },
      ),
      {
        rtoTargetSeconds: 900,
        lastRtoSeconds: 42,
        recoverable: true,
        lastVerifiedRecoveryPointSeconds: (T0 + H) / 1000,
      },
    ],
    [
      'failed after a passed one: not recoverable, the verified point stays',
      drill(
        {},
        {
          verification: {
            result: 'Failed',
            reason: 'CheckFailed',
            lastVerifiedRecoveryPoint: at(T0),
            rto: { lastSeconds: 7 },
          },
        },
      ),
      { lastRtoSeconds: 7, recoverable: false, lastVerifiedRecoveryPointSeconds: T0 / 1000 },
    ],
  ];
  for (const [what, d, expected] of cases) {
    test(what, () => assert.deepEqual(drillRecoverability(d), expected));
  }
});
