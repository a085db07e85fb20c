// Velero validates Schedule.spec.schedule with robfig/cron v3 ParseStandard. cron-parser alone accepts more
// (seconds, `L`, `W`, `#`, `7` for Sunday, @weekdays) and refuses some specs robfig takes (`0 0 31 2 *`), so the
// grammar below follows robfig's parser.go, errors included; cron-parser only computes the next run time.
import { CronExpressionParser } from 'cron-parser';
import { parseGoDuration } from './go-duration.ts';

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: Object.fromEntries(MONTHS.map((m, i) => [m, i + 1])) },
  { min: 0, max: 6, names: Object.fromEntries(DAYS.map((d, i) => [d, i])) },
];
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export type CronSpec =
  { kind: 'cron'; fields: string[]; timeZone: string } | { kind: 'every'; everyMs: number; timeZone: string };

/** Go's strconv.Atoi followed by robfig's negative check. */
function parseInt(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr)) {
    throw new Error(
      `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`,
    );
  }
  const value = Number(expr);
  if (value < 0) throw new Error(`negative number (${value}) not allowed: ${expr}`);
  return value;
}

function parseIntOrName(expr: string, bounds: Bounds): number {
  return bounds.names?.[expr.toLowerCase()] ?? parseInt(expr);
}

function checkRange(expr: string, bounds: Bounds): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = (rangeAndStep[0] ?? '').split('-');
  let start: number;
  let end: number;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    [start, end] = [bounds.min, bounds.max];
  } else {
    start = parseIntOrName(lowAndHigh[0] ?? '', bounds);
    if (lowAndHigh.length > 2) throw new Error(`too many hyphens: ${expr}`);
    end = lowAndHigh.length === 2 ? parseIntOrName(lowAndHigh[1] ?? '', bounds) : start;
  }
  let step = 1;
  if (rangeAndStep.length > 2) throw new Error(`too many slashes: ${expr}`);
  if (rangeAndStep.length === 2) {
    step = parseInt(rangeAndStep[1] ?? '');
    // robfig: "N/step" means "N-max/step".
    if (lowAndHigh.length === 1) end = bounds.max;
  }
  if (start < bounds.min)
    throw new Error(`beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
  if (end > bounds.max) throw new Error(`end of range (${end}) above maximum (${bounds.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
}

/** Go's time.LoadLocation: IANA names, case-sensitive (zoneinfo file names), plus "UTC", "Local" and "". */
function checkLocation(name: string): void {
  if (name === '' || name === 'UTC' || name === 'Local') return;
  let resolved: string | undefined;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    resolved = undefined;
  }
  if (resolved === undefined || (resolved !== name && resolved.toLowerCase() === name.toLowerCase())) {
    throw new Error(`provided bad location ${name}: unknown time zone ${name}`);
  }
}

/** Go's fmt %s of a []string. */
const goList = (items: string[]): string => `[${items.join(' ')}]`;

/** robfig/cron v3 ParseStandard; throws robfig's error text. */
export function parseStandard(text: string): CronSpec {
  if (text.length === 0) throw new Error('empty spec string');
  let spec = text;
  let timeZone = 'UTC';
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ');
    // robfig slices spec[eq+1:-1] here and panics; Velero recovers and reports the panic.
    if (space < 0) throw new Error(`runtime error: slice bounds out of range [:-1]`);
    const name = spec.slice(spec.indexOf('=') + 1, space);
    checkLocation(name);
    timeZone = name === '' || name === 'Local' ? 'UTC' : name;
    spec = spec.slice(space).trim();
  }
  if (spec.startsWith('@')) {
    const fields = DESCRIPTORS[spec]?.split(' ');
    if (fields) return { kind: 'cron', fields, timeZone };
    if (spec.startsWith('@every ')) {
      try {
        return { kind: 'every', everyMs: parseGoDuration(spec.slice('@every '.length)), timeZone };
      } catch (err) {
        throw new Error(`failed to parse duration ${spec}: ${(err as Error).message}`);
      }
    }
    throw new Error(`unrecognized descriptor: ${spec}`);
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) {
    throw new Error(`expected exactly 5 fields, found ${fields.length}: ${goList(fields)}`);
  }
  fields.forEach((field, i) => {
    for (const expr of field.split(',').filter((e) => e !== '')) checkRange(expr, FIELDS[i] as Bounds);
  });
  return { kind: 'cron', fields, timeZone };
}

/** Velero's schedule validation messages (status.validationErrors). */
export function validateSchedule(text: string | undefined): string[] {
  if (!text) return ['Schedule must be a non-empty valid Cron expression'];
  try {
    parseStandard(text);
    return [];
  } catch (err) {
    return [`invalid schedule: ${(err as Error).message}`];
  }
}

/** The first run strictly after `after`, or undefined when the spec never fires (e.g. 31 February). */
export function nextRun(spec: CronSpec, after: Date): Date | undefined {
  if (spec.kind === 'every') {
    // robfig's Every: at least one second, whole seconds.
    const every = Math.max(1000, Math.floor(spec.everyMs / 1000) * 1000);
    return new Date(Math.floor(after.getTime() / 1000) * 1000 + every);
  }
  const expression = ['0', ...spec.fields.map((f) => f.replaceAll('?', '*'))].join(' ');
  try {
    return CronExpressionParser.parse(expression, { currentDate: after, tz: spec.timeZone }).next().toDate();
  } catch {
    return undefined;
  }
}
