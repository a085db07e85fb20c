// Velero parses schedules with robfig/cron v3 ParseStandard. This parser accepts exactly what it accepts and
// reports its error texts, so a schedule the operator accepts is one Velero accepts, and vice versa.
// (cron-parser, the npm library, differs: it takes a seconds field, L, W, #, H and day-of-week 7, and has no
// @every or @midnight.)
import { parseDuration } from '../duration.ts';

export interface CronFields {
  readonly kind: 'cron';
  /** Minutes of the day (hour * 60 + minute) at which it runs, ascending. */
  readonly timesOfDay: readonly number[];
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday. */
  readonly daysOfWeek: ReadonlySet<number>;
  /**
   * robfig's "star bit": a day-of-month or day-of-week field written as * or ? (without a step above 1). When
   * either is a star, a day must match both fields; otherwise it must match either (classic cron).
   */
  readonly dayOfMonthStar: boolean;
  readonly dayOfWeekStar: boolean;
}

export interface EverySchedule {
  readonly kind: 'every';
  readonly intervalMs: number;
}

export type CronSchedule = CronFields | EverySchedule;

interface FieldRange {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MINUTE: FieldRange = { min: 0, max: 59 };
const HOUR: FieldRange = { min: 0, max: 23 };
const DAY_OF_MONTH: FieldRange = { min: 1, max: 31 };
const MONTH: FieldRange = {
  min: 1,
  max: 12,
  names: {
    jan: 1,
    feb: 2,
    mar: 3,
    apr: 4,
    may: 5,
    jun: 6,
    jul: 7,
    aug: 8,
    sep: 9,
    oct: 10,
    nov: 11,
    dec: 12,
  },
};
const DAY_OF_WEEK: FieldRange = {
  min: 0,
  max: 6,
  names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 },
};

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

class CronSyntaxError extends Error {}

function parseInteger(text: string): number {
  // Go's strconv.Atoi: optional sign, decimal digits.
  if (!/^[+-]?\d+$/.test(text)) throw new CronSyntaxError(`failed to parse int from ${text}`);
  const value = Number(text);
  if (value < 0) throw new CronSyntaxError(`negative number (${value}) not allowed: ${text}`);
  return value;
}

function parseValue(text: string, range: FieldRange): number {
  const named = range.names?.[text.toLowerCase()];
  return named ?? parseInteger(text);
}

/** One comma-separated part of a field: *, ?, a, a-b, each optionally /step. */
function parseRange(expr: string, range: FieldRange): { values: number[]; star: boolean } {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = (rangeAndStep[0] ?? '').split('-');
  const low = lowAndHigh[0] ?? '';
  let start: number;
  let end: number;
  let star = false;
  if (low === '*' || low === '?') {
    start = range.min;
    end = range.max;
    star = true;
  } else {
    start = parseValue(low, range);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseValue(lowAndHigh[1] ?? '', range);
    else throw new CronSyntaxError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseInteger(rangeAndStep[1] ?? '');
    // "a/n" means "a-max/n".
    if (lowAndHigh.length === 1) end = range.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronSyntaxError(`too many slashes: ${expr}`);
  }
  if (start < range.min)
    throw new CronSyntaxError(`beginning of range (${start}) below minimum (${range.min}): ${expr}`);
  if (end > range.max)
    throw new CronSyntaxError(`end of range (${end}) above maximum (${range.max}): ${expr}`);
  if (start > end)
    throw new CronSyntaxError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronSyntaxError(`step of range should be a positive number: ${expr}`);
  const values: number[] = [];
  for (let v = start; v <= end; v += step) values.push(v);
  return { values, star };
}

function parseField(field: string, range: FieldRange): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of field.split(',')) {
    const parsed = parseRange(part, range);
    parsed.values.forEach((v) => values.add(v));
    star ||= parsed.star;
  }
  return { values, star };
}

function parseFields(spec: string): CronFields {
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) {
    throw new CronSyntaxError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  const minutes = [...parseField(minute, MINUTE).values].sort((a, b) => a - b);
  const hours = [...parseField(hour, HOUR).values].sort((a, b) => a - b);
  const dom = parseField(dayOfMonth, DAY_OF_MONTH);
  const dow = parseField(dayOfWeek, DAY_OF_WEEK);
  return {
    kind: 'cron',
    timesOfDay: hours.flatMap((h) => minutes.map((m) => h * 60 + m)),
    daysOfMonth: dom.values,
    months: parseField(month, MONTH).values,
    daysOfWeek: dow.values,
    dayOfMonthStar: dom.star,
    dayOfWeekStar: dow.star,
  };
}

function parseDescriptor(spec: string): CronSchedule {
  const fields = DESCRIPTORS[spec];
  if (fields) return parseFields(fields);
  if (spec.startsWith('@every ')) {
    const text = spec.slice('@every '.length);
    const ms = parseDuration(text);
    if (ms === undefined) throw new CronSyntaxError(`failed to parse duration ${spec}`);
    // robfig: at least one second, whole seconds.
    return { kind: 'every', intervalMs: Math.max(1000, Math.floor(ms / 1000) * 1000) };
  }
  throw new CronSyntaxError(`unrecognized descriptor: ${spec}`);
}

/** Parses a schedule (without time zone prefix) as Velero would; the error reads like Velero's. */
export function parseCron(spec: string): CronSchedule | { error: string } {
  try {
    if (spec.trim() === '') return { error: 'empty spec string' };
    return spec.startsWith('@') ? parseDescriptor(spec) : parseFields(spec);
  } catch (err) {
    if (err instanceof CronSyntaxError) return { error: err.message };
    throw err;
  }
}
