import type { CronFields } from './parse.ts';

// The longest each month gets (February in leap years).
const MONTH_LENGTHS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether no day can ever match, e.g. "0 0 31 2 *". Velero must never get such a schedule: robfig/cron returns
 * the zero time as its next run, which Velero takes as overdue, so it would back up every minute.
 */
export function neverRuns(cron: CronFields): boolean {
  // With both fields restricted a day matches either, and every month has every weekday.
  if (!cron.dayOfMonthStar && !cron.dayOfWeekStar) return false;
  if (cron.dayOfMonthStar && !cron.dayOfWeekStar) return cron.daysOfWeek.size === 0;
  return ![...cron.months].some((m) => [...cron.daysOfMonth].some((d) => d <= (MONTH_LENGTHS[m - 1] ?? 0)));
}
