// When a cron schedule runs, as robfig/cron (Velero) runs it: at every instant whose local wall-clock time in
// the zone matches. So a run inside a daylight-saving gap never happens and a run inside a repeated hour happens
// twice (Velero documents the first; both are what robfig/cron v3.0.1 does). One known difference: in
// Australia/Lord_Howe, the only zone with a 30-minute daylight-saving shift, robfig/cron skips some runs on the
// two change days, which this model does not.
import type { CronFields } from './parse.ts';
import { localDay, offsetsAroundDay } from './time-zone.ts';

export const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** Days robfig/cron keeps looking ahead before it gives up (it stops after the fifth following year). */
export const SEARCH_DAYS = 5 * 366 + 2;

export function dayMatches(cron: CronFields, day: number): boolean {
  const date = new Date(day * DAY_MS);
  if (!cron.months.has(date.getUTCMonth() + 1)) return false;
  const domMatch = cron.daysOfMonth.has(date.getUTCDate());
  const dowMatch = cron.daysOfWeek.has(date.getUTCDay());
  return cron.dayOfMonthStar || cron.dayOfWeekStar ? domMatch && dowMatch : domMatch || dowMatch;
}

/** The run instants (epoch ms, ascending) on one local day; empty when the day does not match. */
export function runsOnDay(cron: CronFields, timeZone: string, day: number): number[] {
  if (!dayMatches(cron, day)) return [];
  const start = day * DAY_MS;
  const { before, after, changeAt } = offsetsAroundDay(timeZone, day);
  if (changeAt === undefined) return cron.timesOfDay.map((t) => start + t * MINUTE_MS - before);
  const runs: number[] = [];
  for (const t of cron.timesOfDay) {
    const wall = start + t * MINUTE_MS;
    // A wall-clock time exists under the old offset if it maps before the change, under the new one if after:
    // neither in a gap, both in a repeated hour.
    if (wall - before < changeAt) runs.push(wall - before);
    if (wall - after >= changeAt) runs.push(wall - after);
  }
  return runs.sort((a, b) => a - b);
}

/** The first run strictly after an instant, or undefined when there is none within robfig's search limit. */
export function nextCronRun(cron: CronFields, timeZone: string, afterMs: number): number | undefined {
  // Start a day early: the runs of the previous local day can lie after the instant around a repeated hour.
  const first = localDay(timeZone, afterMs) - 1;
  for (let day = first; day <= first + SEARCH_DAYS; day++) {
    const next = runsOnDay(cron, timeZone, day).find((run) => run > afterMs);
    if (next !== undefined) return next;
  }
  return undefined;
}
