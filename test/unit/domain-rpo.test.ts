import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { largestGap } from '../../src/domain/cron/gaps.ts';
import { parseCron } from '../../src/domain/cron/parse.ts';
import { formatDuration, parseDuration } from '../../src/domain/duration.ts';
import { evaluateRpo, rpoAchievability } from '../../src/domain/rpo.ts';
import { resolveSchedule, type ResolvedSchedule } from '../../src/domain/schedule.ts';

const JUNE = Date.parse('2025-06-01T00:00:00Z');
const H = 3_600_000;

function resolved(schedule: string, timeZone?: string): ResolvedSchedule {
  const r = resolveSchedule({ schedule, ...(timeZone && { timeZone }) });
  assert.ok(r && !('problems' in r), `${schedule} resolves`);
  return r;
}

describe('largest gap between runs over the coming years', () => {
  const table: [string, string, string][] = [
    // [expression, zone, largest gap]
    ['0 2 * * *', 'UTC', '1d'],
    ['0 0 * * 0', 'UTC', '7d'],
    ['0 */6 * * *', 'UTC', '6h'],
    ['0 1,2,23 * * *', 'UTC', '21h'],
    ['0 0 1 * *', 'UTC', '31d'],
    ['0 0 1 1 *', 'UTC', '366d'],
    ['@every 90m', 'UTC', '1h30m'],
    // The spring-forward day has no 02:30: Velero skips that run.
    ['30 2 * * *', 'America/New_York', '1d23h'],
    // The fall-back day is 25 hours long.
    ['0 3 * * *', 'America/New_York', '1d1h'],
    // 01:30 happens twice on the fall-back day (1h apart) but never more than a day apart.
    ['30 1 * * *', 'America/New_York', '1d'],
    ['0 2 * * 1-5', 'Europe/Berlin', '3d1h'],
    ['* * * * *', 'Europe/Berlin', '1m'],
    ['*/15 * * * *', 'Australia/Lord_Howe', '15m'],
    ['0 0 29 2 *', 'UTC', 'forever'],
  ];
  for (const [expression, zone, expected] of table) {
    test(`${expression} in ${zone}: ${expected}`, () => {
      const cron = parseCron(expression);
      assert.ok(!('error' in cron));
      assert.equal(formatDuration(largestGap(cron, zone, expression, JUNE).largestGapMs), expected);
    });
  }

  test('names the run that starts the largest gap', () => {
    const cron = parseCron('30 2 * * *');
    assert.ok(!('error' in cron));
    const gap = largestGap(cron, 'America/New_York', '30 2 * * *', JUNE);
    assert.equal(new Date(gap.gapStartMs ?? 0).toISOString(), '2026-03-07T07:30:00.000Z');
  });
});

describe('RPOMet', () => {
  const created = Date.parse('2025-06-01T00:00:00Z');
  const point = { backupName: 'b1', atMs: Date.parse('2025-06-02T02:00:05Z') };
  const table: [string, typeof point | undefined, number, boolean, string][] = [
    ['before any backup, within rpo of creation', undefined, created + 24 * H, true, 'AwaitingFirstBackup'],
    ['before any backup, exactly at creation + rpo', undefined, created + 25 * H, false, 'RPOBreached'],
    ['one millisecond before the deadline', point, point.atMs + 25 * H - 1, true, 'WithinRPO'],
    ['exactly at the deadline', point, point.atMs + 25 * H, false, 'RPOBreached'],
    ['after the deadline', point, point.atMs + 30 * H, false, 'RPOBreached'],
  ];
  for (const [name, recoveryPoint, nowMs, met, reason] of table) {
    test(name, () => {
      const result = evaluateRpo({ rpo: '25h', rpoMs: 25 * H, recoveryPoint, createdMs: created, nowMs });
      assert.equal(result.status.met, met);
      assert.equal(result.condition.status, met ? 'True' : 'False');
      assert.equal(result.condition.reason, reason);
      assert.equal(result.deadlineMs, (recoveryPoint?.atMs ?? created) + 25 * H);
      assert.equal(result.status.recoveryPoint, recoveryPoint && '2025-06-02T02:00:05Z');
      assert.equal(result.status.target, '25h');
    });
  }

  test('messages say what the clock counts from', () => {
    const before = evaluateRpo({
      rpo: '1h',
      rpoMs: H,
      recoveryPoint: undefined,
      createdMs: created,
      nowMs: created + 2 * H,
    });
    assert.match(
      before.condition.message,
      /no consistent backup since the ConsistentBackup was created at 2025-06-01T00:00:00Z; the rpo of 1h was breached at 2025-06-01T01:00:00Z/,
    );
  });
});

describe('RPOAchievable', () => {
  const table: [string, Parameters<typeof rpoAchievability>[0], 'True' | 'False', string, RegExp][] = [
    [
      'weekly schedule, daily rpo',
      {
        rpo: '24h',
        rpoMs: 24 * H,
        schedule: resolved('0 0 * * 0'),
        suspended: false,
        ttl: undefined,
        ttlMs: undefined,
        nowMs: JUNE,
      },
      'False',
      'ScheduleTooSparse',
      /^schedule leaves gaps of up to 7d \(after the run at .*\); rpo is 24h/,
    ],
    [
      'daily schedule, rpo of exactly one day: a backup needs time to start',
      {
        rpo: '24h',
        rpoMs: 24 * H,
        schedule: resolved('0 2 * * *'),
        suspended: false,
        ttl: undefined,
        ttlMs: undefined,
        nowMs: JUNE,
      },
      'False',
      'ScheduleTooSparse',
      /gaps of up to 1d .*rpo is 24h/,
    ],
    [
      'daily schedule, 25h rpo',
      {
        rpo: '25h',
        rpoMs: 25 * H,
        schedule: resolved('0 2 * * *'),
        suspended: false,
        ttl: undefined,
        ttlMs: undefined,
        nowMs: JUNE,
      },
      'True',
      'Achievable',
      /^schedule leaves gaps of up to 1d; rpo is 25h$/,
    ],
    [
      'daily at 02:30 New York, 25h rpo: the spring-forward gap breaks it',
      {
        rpo: '25h',
        rpoMs: 25 * H,
        schedule: resolved('30 2 * * *', 'America/New_York'),
        suspended: false,
        ttl: undefined,
        ttlMs: undefined,
        nowMs: JUNE,
      },
      'False',
      'ScheduleTooSparse',
      /gaps of up to 1d23h \(after the run at 2026-03-07T07:30:00Z\)/,
    ],
    [
      'ttl shorter than the gap',
      {
        rpo: '25h',
        rpoMs: 25 * H,
        schedule: resolved('0 2 * * *'),
        suspended: false,
        ttl: '12h',
        ttlMs: 12 * H,
        nowMs: JUNE,
      },
      'False',
      'TTLTooShort',
      /ttl is 12h/,
    ],
    [
      'suspended',
      {
        rpo: '25h',
        rpoMs: 25 * H,
        schedule: resolved('0 2 * * *'),
        suspended: true,
        ttl: undefined,
        ttlMs: undefined,
        nowMs: JUNE,
      },
      'False',
      'Suspended',
      /suspend/,
    ],
    [
      'no schedule',
      {
        rpo: '25h',
        rpoMs: 25 * H,
        schedule: undefined,
        suspended: false,
        ttl: undefined,
        ttlMs: undefined,
        nowMs: JUNE,
      },
      'False',
      'NoSchedule',
      /run-now/,
    ],
    [
      'leap day only',
      {
        rpo: '25h',
        rpoMs: 25 * H,
        schedule: resolved('0 0 29 2 *'),
        suspended: false,
        ttl: undefined,
        ttlMs: undefined,
        nowMs: JUNE,
      },
      'False',
      'ScheduleTooSparse',
      /less than twice in 5 years/,
    ],
  ];
  for (const [name, args, status, reason, message] of table) {
    test(name, () => {
      const c = rpoAchievability(args);
      assert.equal(c.type, 'RPOAchievable');
      assert.equal(c.status, status);
      assert.equal(c.reason, reason);
      assert.match(c.message, message);
    });
  }
});

describe('durations', () => {
  const table: [string, number | undefined][] = [
    ['30s', 30_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['0', 0],
    ['1d', undefined],
    ['-1h', undefined],
    ['', undefined],
    ['h', undefined],
  ];
  for (const [text, ms] of table)
    test(`parseDuration(${JSON.stringify(text)})`, () => assert.equal(parseDuration(text), ms));
  const readable: [number, string][] = [
    [7 * 24 * H, '7d'],
    [47 * H, '1d23h'],
    [90_000, '1m30s'],
    [0, '0s'],
    [Infinity, 'forever'],
  ];
  for (const [ms, text] of readable)
    test(`formatDuration(${ms})`, () => assert.equal(formatDuration(ms), text));
});
