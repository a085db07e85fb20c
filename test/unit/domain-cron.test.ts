// The operator must predict Velero's schedule exactly. Expected values marked "robfig" were produced by
// github.com/robfig/cron/v3 v3.0.1 ParseStandard + Next, the parser Velero v1.18 uses.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CronExpressionParser } from 'cron-parser';
import { neverRuns } from '../../src/domain/cron/never-runs.ts';
import { parseCron, type CronFields } from '../../src/domain/cron/parse.ts';
import { nextCronRun } from '../../src/domain/cron/runs.ts';
import { timeZoneProblem } from '../../src/domain/cron/time-zone.ts';

function cronFields(expression: string): CronFields {
  const parsed = parseCron(expression);
  assert.ok(!('error' in parsed), `${expression} parses`);
  assert.equal(parsed.kind, 'cron');
  return parsed;
}

function runsAfter(expression: string, timeZone: string, from: string, count: number): string[] {
  const cron = cronFields(expression);
  const runs: string[] = [];
  let at = Date.parse(from);
  for (let i = 0; i < count; i++) {
    const next = nextCronRun(cron, timeZone, at);
    assert.ok(next !== undefined, `${expression} has a run after ${new Date(at).toISOString()}`);
    runs.push(new Date(next).toISOString().replace('.000Z', 'Z'));
    at = next;
  }
  return runs;
}

describe('parseCron accepts and refuses what robfig/cron ParseStandard does, with its messages', () => {
  const refused: [string, string][] = [
    ['0 0 * * * *', 'expected exactly 5 fields, found 6'],
    ['0 0 * *', 'expected exactly 5 fields, found 4'],
    ['0 0 L * *', 'failed to parse int from L'],
    ['0 0 * * 1#2', 'failed to parse int from 1#2'],
    ['H * * * *', 'failed to parse int from H'],
    ['0 0 * * 7', 'end of range (7) above maximum (6)'],
    ['60 * * * *', 'end of range (60) above maximum (59)'],
    ['0 24 * * *', 'end of range (24) above maximum (23)'],
    ['0 0 0 * *', 'beginning of range (0) below minimum (1)'],
    ['0 0 * 13 *', 'end of range (13) above maximum (12)'],
    ['0 0 5-1 * *', 'beginning of range (5) beyond end of range (1)'],
    ['*/0 * * * *', 'step of range should be a positive number'],
    ['1-2-3 * * * *', 'too many hyphens'],
    ['1/2/3 * * * *', 'too many slashes'],
    ['-1 * * * *', 'failed to parse int from '],
    ['@every 1d', 'failed to parse duration @every 1d'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['@Daily', 'unrecognized descriptor'],
    ['', 'empty spec string'],
  ];
  for (const [expression, message] of refused) {
    test(`refuses "${expression}"`, () => {
      const parsed = parseCron(expression);
      assert.ok('error' in parsed, 'refused');
      assert.ok(parsed.error.includes(message), `"${parsed.error}" includes "${message}"`);
    });
  }

  const accepted: [
    string,
    Partial<{ times: number; dom: number; months: number; dow: number; domStar: boolean; dowStar: boolean }>,
  ][] = [
    ['0 2 * * *', { times: 1, dom: 31, months: 12, dow: 7, domStar: true, dowStar: true }],
    ['*/15 * * * *', { times: 96 }],
    ['0 0 * * MON-FRI', { dow: 5, domStar: true, dowStar: false }],
    ['0 0 1 jan *', { months: 1, dom: 1, domStar: false }],
    ['? ? ? ? ?', { times: 1440, domStar: true, dowStar: true }],
    ['5/20 * * * *', { times: 72 }],
    ['0 0 */2 * *', { dom: 16, domStar: false }],
    ['0 0 */1 * *', { dom: 31, domStar: true }],
    ['  0   2 * * *  ', { times: 1 }],
    ['@weekly', { dow: 1, dowStar: false, domStar: true }],
    ['@monthly', { dom: 1, domStar: false, dowStar: true }],
    ['@midnight', { times: 1 }],
  ];
  for (const [expression, expected] of accepted) {
    test(`accepts "${expression}"`, () => {
      const cron = cronFields(expression);
      const actual = {
        times: cron.timesOfDay.length,
        dom: cron.daysOfMonth.size,
        months: cron.months.size,
        dow: cron.daysOfWeek.size,
        domStar: cron.dayOfMonthStar,
        dowStar: cron.dayOfWeekStar,
      };
      for (const [key, value] of Object.entries(expected))
        assert.equal(actual[key as keyof typeof actual], value, key);
    });
  }

  test('@every keeps whole seconds, at least one', () => {
    assert.deepEqual(parseCron('@every 1h30m'), { kind: 'every', intervalMs: 5_400_000 });
    assert.deepEqual(parseCron('@every 90.5s'), { kind: 'every', intervalMs: 90_000 });
    assert.deepEqual(parseCron('@every 10ms'), { kind: 'every', intervalMs: 1000 });
  });
});

describe('nextCronRun places runs like robfig/cron, daylight-saving changes included', () => {
  const table: [string, string, string, string[]][] = [
    // [zone, expression, after, runs (robfig)]
    [
      'America/New_York',
      '30 2 * * *',
      '2025-03-07T12:00:00Z',
      ['2025-03-08T07:30:00Z', '2025-03-10T06:30:00Z', '2025-03-11T06:30:00Z'],
    ],
    [
      'America/New_York',
      '30 1 * * *',
      '2025-11-01T12:00:00Z',
      ['2025-11-02T05:30:00Z', '2025-11-02T06:30:00Z', '2025-11-03T06:30:00Z'],
    ],
    [
      'America/New_York',
      '*/30 1-2 * * *',
      '2025-11-02T04:00:00Z',
      [
        '2025-11-02T05:00:00Z',
        '2025-11-02T05:30:00Z',
        '2025-11-02T06:00:00Z',
        '2025-11-02T06:30:00Z',
        '2025-11-02T07:00:00Z',
        '2025-11-02T07:30:00Z',
      ],
    ],
    [
      'America/New_York',
      '0 * * * *',
      '2025-03-09T05:30:00Z',
      ['2025-03-09T06:00:00Z', '2025-03-09T07:00:00Z', '2025-03-09T08:00:00Z'],
    ],
    [
      'Europe/Berlin',
      '30 2 * * *',
      '2025-03-29T12:00:00Z',
      ['2025-03-31T00:30:00Z', '2025-04-01T00:30:00Z', '2025-04-02T00:30:00Z'],
    ],
    [
      'Europe/Berlin',
      '30 2 * * *',
      '2025-10-25T12:00:00Z',
      ['2025-10-26T00:30:00Z', '2025-10-26T01:30:00Z', '2025-10-27T01:30:00Z'],
    ],
    // Midnight itself does not exist on the change day.
    [
      'America/Santiago',
      '0 0 * * *',
      '2025-09-05T12:00:00Z',
      ['2025-09-06T04:00:00Z', '2025-09-08T03:00:00Z', '2025-09-09T03:00:00Z'],
    ],
    [
      'America/Havana',
      '30 0 * * *',
      '2025-03-08T12:00:00Z',
      ['2025-03-10T04:30:00Z', '2025-03-11T04:30:00Z', '2025-03-12T04:30:00Z'],
    ],
    // A +12:45/+13:45 zone and a two-hour daylight-saving shift.
    [
      'Pacific/Chatham',
      '0 3 * * *',
      '2025-09-26T12:00:00Z',
      ['2025-09-26T14:15:00Z', '2025-09-28T13:15:00Z', '2025-09-29T13:15:00Z'],
    ],
    [
      'Antarctica/Troll',
      '30 1 * * *',
      '2025-03-29T12:00:00Z',
      ['2025-03-30T23:30:00Z', '2025-03-31T23:30:00Z', '2025-04-01T23:30:00Z'],
    ],
    // Dublin's "negative" daylight saving in tzdata.
    [
      'Europe/Dublin',
      '30 1 * * *',
      '2025-10-25T12:00:00Z',
      ['2025-10-26T00:30:00Z', '2025-10-26T01:30:00Z', '2025-10-27T01:30:00Z'],
    ],
    [
      'Asia/Kolkata',
      '0 0 * * 1-5',
      '2025-01-03T00:00:00Z',
      ['2025-01-05T18:30:00Z', '2025-01-06T18:30:00Z', '2025-01-07T18:30:00Z'],
    ],
    // Day of month and day of week both restricted: either matches.
    [
      'UTC',
      '0 0 1 * 1',
      '2025-01-01T00:00:00Z',
      [
        '2025-01-06T00:00:00Z',
        '2025-01-13T00:00:00Z',
        '2025-01-20T00:00:00Z',
        '2025-01-27T00:00:00Z',
        '2025-02-01T00:00:00Z',
      ],
    ],
    // A step clears the star: */2 is a restriction, so again either matches.
    [
      'UTC',
      '0 0 */2 * 1',
      '2025-01-01T00:00:00Z',
      ['2025-01-03T00:00:00Z', '2025-01-05T00:00:00Z', '2025-01-06T00:00:00Z', '2025-01-07T00:00:00Z'],
    ],
    ['UTC', '0 0 29 2 *', '2025-01-01T00:00:00Z', ['2028-02-29T00:00:00Z', '2032-02-29T00:00:00Z']],
    ['UTC', '@weekly', '2025-01-01T00:00:00Z', ['2025-01-05T00:00:00Z', '2025-01-12T00:00:00Z']],
    [
      'UTC',
      '5/20 */12 * JAN-MAR sun',
      '2025-01-01T00:00:00Z',
      ['2025-01-05T00:05:00Z', '2025-01-05T00:25:00Z', '2025-01-05T00:45:00Z', '2025-01-05T12:05:00Z'],
    ],
    ['UTC', '0 0 31 * *', '2025-01-31T00:00:00Z', ['2025-03-31T00:00:00Z', '2025-05-31T00:00:00Z']],
  ];
  for (const [zone, expression, after, expected] of table) {
    test(`${zone} "${expression}" after ${after}`, () => {
      assert.deepEqual(runsAfter(expression, zone, after, expected.length), expected);
    });
  }

  test('a run exactly at the instant is not "after" it', () => {
    assert.deepEqual(runsAfter('0 2 * * *', 'UTC', '2025-01-01T02:00:00Z', 1), ['2025-01-02T02:00:00Z']);
  });

  test('a schedule that matches no day has no next run', () => {
    assert.equal(nextCronRun(cronFields('0 0 31 2 *'), 'UTC', Date.parse('2025-01-01T00:00:00Z')), undefined);
  });
});

describe('agrees with cron-parser where the two share semantics (UTC, common syntax)', () => {
  const expressions = [
    '0 2 * * *',
    '*/7 3-5 * * 1-5',
    '15 */6 1,15 * *',
    '0 0 1 1,7 *',
    '30 23 * * 0',
    '0 12 10-20/3 * *',
  ];
  for (const expression of expressions) {
    test(expression, () => {
      const reference = CronExpressionParser.parse(expression, {
        tz: 'UTC',
        currentDate: '2025-02-27T00:00:00Z',
      });
      const expected = reference.take(20).map((d) => d.toDate().toISOString().replace('.000Z', 'Z'));
      assert.deepEqual(runsAfter(expression, 'UTC', '2025-02-27T00:00:00Z', 20), expected);
    });
  }
});

describe('neverRuns', () => {
  const table: [string, boolean][] = [
    ['0 0 31 2 *', true],
    ['0 0 30 2 *', true],
    ['0 0 31 4,6,9,11 *', true],
    ['0 0 29 2 *', false],
    ['0 0 31 2 1', false],
    ['0 0 31 * *', false],
    ['0 0 * 2 *', false],
    ['0 0 30,31 2 *', true],
  ];
  for (const [expression, expected] of table) {
    test(`${expression} -> ${expected}`, () => assert.equal(neverRuns(cronFields(expression)), expected));
  }
});

describe('timeZoneProblem: only zones Velero (Go) can load', () => {
  const table: [string, string | undefined][] = [
    ['UTC', undefined],
    ['Europe/Berlin', undefined],
    ['America/Argentina/Buenos_Aires', undefined],
    ['US/Eastern', undefined],
    ['Etc/GMT+5', undefined],
    ['Mars/Olympus', 'unknown time zone "Mars/Olympus"'],
    ['europe/berlin', 'names are case-sensitive: Europe/Berlin'],
    ['Local', '"Local" would be the Velero server\'s own zone'],
  ];
  for (const [zone, problem] of table) {
    test(zone, () => {
      const actual = timeZoneProblem(zone);
      if (problem === undefined) assert.equal(actual, undefined);
      else assert.ok(actual?.includes(problem), `"${actual}" includes "${problem}"`);
    });
  }
});
