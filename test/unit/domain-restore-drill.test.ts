import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsistentRestore, RestoreDrill } from '../../src/api/consistent-restore.ts';
import { computeDrillStatus, planDrill, recordOf, verifiedBackups } from '../../src/domain/restore/index.ts';

const drill = (
  spec: Partial<RestoreDrill['spec']> = {},
  extra: Partial<RestoreDrill> = {},
): RestoreDrill => ({
  metadata: {
    name: 'nightly',
    namespace: 'shop',
    uid: 'd-uid',
    creationTimestamp: '2026-12-01T00:00:00Z',
    generation: 1,
  },
  spec: { consistentBackup: 'orders', ...spec },
  ...extra,
});
const at = (iso: string) => Date.parse(iso);

describe('when a drill runs', () => {
  const cases: [string, RestoreDrill, string, string][] = [
    ['no schedule, no token', drill(), '2026-12-01T05:00:00Z', 'idle'],
    [
      'before the first tick',
      drill({ schedule: '0 3 * * *' }),
      '2026-12-01T02:59:00Z',
      'idle next 2026-12-01T03:00:00.000Z',
    ],
    ['at the tick', drill({ schedule: '0 3 * * *' }), '2026-12-01T03:00:00Z', 'run 2026-12-01T03:00:00.000Z'],
    [
      'in its time zone',
      drill({ schedule: '0 3 * * *', timeZone: 'Europe/Berlin' }),
      '2026-12-01T02:00:00Z',
      'run 2026-12-01T02:00:00.000Z',
    ],
    [
      'missed ticks run once, the newest',
      drill({ schedule: '0 * * * *' }),
      '2026-12-01T05:30:00Z',
      'run 2026-12-01T05:00:00.000Z',
    ],
    [
      'a tick already taken',
      drill({ schedule: '0 3 * * *' }, { status: { lastScheduledTime: '2026-12-01T03:00:00Z' } }),
      '2026-12-01T04:00:00Z',
      'idle next 2026-12-02T03:00:00.000Z',
    ],
    ['an invalid schedule', drill({ schedule: '61 * * * *' }), '2026-12-01T04:00:00Z', 'invalid'],
    ['@every is refused', drill({ schedule: '@every 1h' }), '2026-12-01T04:00:00Z', 'invalid'],
  ];
  for (const [what, d, now, expected] of cases) {
    test(what, () => {
      const plan = planDrill(d, at(now));
      const text =
        plan.kind === 'run'
          ? `run ${new Date(plan.scheduledTime ?? 0).toISOString()}`
          : plan.kind === 'idle'
            ? `idle${plan.nextMs !== undefined ? ` next ${new Date(plan.nextMs).toISOString()}` : ''}`
            : 'invalid';
      assert.equal(text, expected);
    });
  }
  test('run-now: once per token, the same run name every time, into a scratch namespace, owned by the drill', () => {
    const d = drill(
      {},
      { metadata: { ...drill().metadata, annotations: { 'consistentbackup.io/run-now': 't1' } } },
    );
    const a = planDrill(d, at('2026-12-01T05:00:00Z'));
    const b = planDrill(d, at('2026-12-01T06:00:00Z'));
    assert.ok(a.kind === 'run' && b.kind === 'run');
    assert.equal(a.run.metadata?.name, b.run.metadata?.name);
    assert.equal(a.run.spec.target, 'ScratchNamespace');
    assert.equal(a.run.metadata?.ownerReferences?.[0]?.uid, 'd-uid');
    assert.ok((a.run.metadata?.name ?? '').length <= 63);
    const done = { ...d, status: { processedRunTokens: ['t1'] } };
    assert.equal(planDrill(done, at('2026-12-01T05:00:00Z')).kind, 'idle');
  });
});

function run(
  name: string,
  phase: string,
  seconds: number,
  start: string,
  reason = 'ChecksPassed',
): ConsistentRestore {
  return {
    metadata: { name, namespace: 'shop' },
    spec: { source: { consistentBackup: 'orders' } },
    status: {
      phase: phase as 'Succeeded',
      backupName: `b-${name}`,
      recoveryPoint: start,
      startTime: start,
      durationSeconds: seconds,
      conditions: [
        {
          type: 'ChecksPassed',
          status: phase === 'Succeeded' ? 'True' : 'False',
          reason,
          message: '',
          lastTransitionTime: start,
        },
      ],
    },
  };
}

describe('drill status', () => {
  const now = at('2026-12-02T00:00:00Z');
  test('a passed drill: Recoverable, RTO measured against the target, worst of recent', () => {
    const s = computeDrillStatus({
      drill: drill({ rtoTarget: '1m' }),
      runs: [
        run('a', 'Succeeded', 90, '2026-12-01T01:00:00Z'),
        run('b', 'Succeeded', 30, '2026-12-01T02:00:00Z'),
      ],
      now,
    });
    assert.equal(s.history?.[0]?.run, 'b');
    assert.equal(s.verification?.result, 'Passed');
    assert.equal(s.verification?.lastVerifiedRecoveryPoint, '2026-12-01T02:00:00Z');
    assert.deepEqual(s.verification?.rto, {
      target: '1m',
      lastSeconds: 30,
      last: '30s',
      worstSeconds: 90,
      worst: '1m30s',
    });
    assert.equal(s.conditions?.find((c) => c.type === 'Recoverable')?.status, 'True');
    assert.equal(s.conditions?.find((c) => c.type === 'RTOMet')?.status, 'True');
  });
  test('a failed drill after a passed one: not Recoverable, the verified point stays the passed one', () => {
    const s = computeDrillStatus({
      drill: drill({ rtoTarget: '1m' }),
      runs: [
        run('a', 'Succeeded', 20, '2026-12-01T01:00:00Z'),
        run('b', 'Failed', 5, '2026-12-01T02:00:00Z', 'CheckFailed'),
      ],
      now,
    });
    const recoverable = s.conditions?.find((c) => c.type === 'Recoverable');
    assert.equal(`${recoverable?.status}:${recoverable?.reason}`, 'False:CheckFailed');
    assert.equal(s.conditions?.find((c) => c.type === 'RTOMet')?.status, 'False');
    assert.equal(s.verification?.lastVerifiedRecoveryPoint, '2026-12-01T01:00:00Z');
  });
  test('too slow: RTOExceeded', () => {
    const s = computeDrillStatus({
      drill: drill({ rtoTarget: '10s' }),
      runs: [run('a', 'Succeeded', 11, '2026-12-01T01:00:00Z')],
      now,
    });
    assert.equal(s.conditions?.find((c) => c.type === 'RTOMet')?.reason, 'RTOExceeded');
  });
  test('a running drill is the current run, not history; records survive the run being deleted', () => {
    const running = {
      ...run('c', 'Restoring', 0, '2026-12-01T03:00:00Z'),
      status: { phase: 'Restoring' as const },
    };
    assert.equal(recordOf(running), undefined);
    const first = computeDrillStatus({
      drill: drill(),
      runs: [run('a', 'Succeeded', 20, '2026-12-01T01:00:00Z'), running],
      now,
    });
    assert.equal(first.currentRun, 'c');
    assert.equal(first.history?.length, 1);
    const later = computeDrillStatus({ drill: { ...drill(), status: first }, runs: [], now });
    assert.equal(later.history?.length, 1);
    assert.equal(later.currentRun, undefined);
  });
  test('no drill yet: Recoverable Unknown', () => {
    const s = computeDrillStatus({ drill: drill({ rtoTarget: '1m' }), runs: [], now });
    assert.equal(s.conditions?.find((c) => c.type === 'Recoverable')?.status, 'Unknown');
    assert.equal(s.verification, undefined);
  });
});

describe('backups a drill verified', () => {
  const passed = (run: string, backupName?: string) => ({
    run,
    result: 'Passed' as const,
    reason: 'ChecksPassed',
    ...(backupName && { backupName }),
  });
  const cases: [string, RestoreDrill['status'], string[]][] = [
    ['no status', undefined, []],
    ['the last verified one', { verification: { lastVerifiedBackup: 'b2' } }, ['b2']],
    [
      'and the passed runs remembered, once each',
      {
        verification: { lastVerifiedBackup: 'b2' },
        history: [
          passed('r3', 'b2'),
          { run: 'r2', result: 'Failed', reason: 'CheckFailed', backupName: 'b9' },
          passed('r1', 'b1'),
          passed('r0'),
        ],
      },
      ['b2', 'b1'],
    ],
  ];
  for (const [name, status, expected] of cases) {
    test(name, () => {
      assert.deepEqual(verifiedBackups(drill({}, status ? { status } : {})), expected);
    });
  }
});
