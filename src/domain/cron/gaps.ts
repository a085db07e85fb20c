// The largest gap between consecutive runs of a schedule: what decides whether an RPO can be met at all.
import type { CronFields, CronSchedule } from './parse.ts';
import { DAY_MS, dayMatches, runsOnDay, SEARCH_DAYS } from './runs.ts';
import { localDay, offsetsAroundDay } from './time-zone.ts';

export interface GapAnalysis {
  /** Infinity when the schedule runs fewer than twice within the horizon. */
  readonly largestGapMs: number;
  /** The run that starts the largest gap. */
  readonly gapStartMs?: number;
}

const MINUTE_MS = 60_000;
// Daylight-saving changes happen twice a year and leap days every four: five years ahead sees every gap a
// schedule can have in practice (and robfig/cron, hence Velero, looks no further either).
const HORIZON_DAYS = SEARCH_DAYS;

/** The widest gap between two runs of the same day, and the time of day (minutes) it starts at. */
function largestGapWithinDay(cron: CronFields): { gapMs: number; startsAt: number } {
  let widest = { gapMs: 0, startsAt: 0 };
  for (let i = 1; i < cron.timesOfDay.length; i++) {
    const [from, to] = [cron.timesOfDay[i - 1] ?? 0, cron.timesOfDay[i] ?? 0];
    if ((to - from) * MINUTE_MS > widest.gapMs) widest = { gapMs: (to - from) * MINUTE_MS, startsAt: from };
  }
  return widest;
}

function cronGaps(cron: CronFields, timeZone: string, fromMs: number): GapAnalysis {
  const withinDay = largestGapWithinDay(cron);
  const firstTime = cron.timesOfDay[0] ?? 0;
  const lastTime = cron.timesOfDay[cron.timesOfDay.length - 1] ?? 0;
  let previous: number | undefined;
  let largest = -Infinity;
  let gapStart: number | undefined;
  const consider = (run: number) => {
    if (run <= fromMs) return;
    if (previous !== undefined && run - previous > largest) {
      largest = run - previous;
      gapStart = previous;
    }
    previous = run;
  };
  const firstDay = localDay(timeZone, fromMs) - 1;
  for (let day = firstDay; day <= firstDay + HORIZON_DAYS; day++) {
    if (!dayMatches(cron, day)) continue;
    const offsets = offsetsAroundDay(timeZone, day);
    if (offsets.changeAt !== undefined || day <= firstDay + 2) {
      runsOnDay(cron, timeZone, day).forEach(consider);
      continue;
    }
    // A day without offset change repeats the same times: only its first and last run and its widest
    // internal gap matter, which keeps every-minute schedules cheap.
    const start = day * DAY_MS - offsets.before;
    consider(start + firstTime * MINUTE_MS);
    if (cron.timesOfDay.length > 1 && withinDay.gapMs > largest) {
      largest = withinDay.gapMs;
      gapStart = start + withinDay.startsAt * MINUTE_MS;
    }
    previous = start + lastTime * MINUTE_MS;
  }
  return largest === -Infinity ? { largestGapMs: Infinity } : { largestGapMs: largest, gapStartMs: gapStart };
}

const cache = new Map<string, GapAnalysis>();
const CACHE_LIMIT = 512;

/**
 * The largest gap between consecutive runs from a day on (the result is the same all day, so it is cached per
 * schedule, zone and day: reconciles recompute status often).
 */
export function largestGap(
  schedule: CronSchedule,
  timeZone: string,
  expression: string,
  nowMs: number,
): GapAnalysis {
  if (schedule.kind === 'every') return { largestGapMs: schedule.intervalMs };
  const day = Math.floor(nowMs / DAY_MS);
  const key = `${timeZone}|${expression}|${day}`;
  let result = cache.get(key);
  if (!result) {
    result = cronGaps(schedule, timeZone, day * DAY_MS);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, result);
  }
  return result;
}

/**
 * The smallest gap between consecutive runs, in wall-clock time (a daylight-saving change can shorten one
 * gap a year by its shift): within a day, and from a matching day's last run to the next matching day's first.
 */
export function smallestGapMs(schedule: CronSchedule): number {
  if (schedule.kind === 'every') return schedule.intervalMs;
  const times = schedule.timesOfDay;
  let smallest = Infinity;
  for (let i = 1; i < times.length; i++)
    smallest = Math.min(smallest, ((times[i] ?? 0) - (times[i - 1] ?? 0)) * MINUTE_MS);
  const span = ((times[times.length - 1] ?? 0) - (times[0] ?? 0)) * MINUTE_MS;
  let previousDay: number | undefined;
  for (let day = 0; day < HORIZON_DAYS && smallest > DAY_MS - span; day++) {
    if (!dayMatches(schedule, day)) continue;
    if (previousDay !== undefined) smallest = Math.min(smallest, (day - previousDay) * DAY_MS - span);
    previousDay = day;
  }
  return smallest;
}
