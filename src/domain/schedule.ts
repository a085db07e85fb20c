// A ConsistentBackup's schedule as Velero will run it: parsed like robfig/cron, placed in its time zone.
import type { ConsistentBackupSpec } from '../api/consistent-backup.ts';
import { neverRuns } from './cron/never-runs.ts';
import { parseCron, type CronSchedule } from './cron/parse.ts';
import { nextCronRun } from './cron/runs.ts';
import { timeZoneProblem } from './cron/time-zone.ts';
import type { Problem } from './problems.ts';

export interface ResolvedSchedule {
  readonly cron: CronSchedule;
  /** spec.schedule, trimmed. */
  readonly expression: string;
  readonly timeZone: string;
  /**
   * What Velero's Schedule gets. The zone is always explicit, UTC included: without it Velero would read the
   * schedule in its own container's zone.
   */
  readonly veleroExpression: string;
}

/** The schedule, undefined for a ConsistentBackup without one, or the problems that make it unusable. */
export function resolveSchedule(
  spec: ConsistentBackupSpec,
): ResolvedSchedule | undefined | { problems: Problem[] } {
  if (spec.schedule === undefined) return undefined;
  const expression = spec.schedule.trim();
  const timeZone = spec.timeZone ?? 'UTC';
  const problems: Problem[] = [];
  const zoneProblem = timeZoneProblem(timeZone);
  if (zoneProblem) problems.push({ field: 'spec.timeZone', reason: 'UnknownTimeZone', message: zoneProblem });
  const cron = parseCron(expression);
  if ('error' in cron) {
    problems.push({
      field: 'spec.schedule',
      reason: 'InvalidSchedule',
      message: `invalid schedule: ${cron.error}`,
    });
  } else if (cron.kind === 'cron' && neverRuns(cron)) {
    problems.push({
      field: 'spec.schedule',
      reason: 'InvalidSchedule',
      message: 'the schedule matches no day, so it never runs',
    });
  }
  if (problems.length > 0 || 'error' in cron) return { problems };
  return { cron, expression, timeZone, veleroExpression: `CRON_TZ=${timeZone} ${expression}` };
}

/**
 * When Velero starts the next scheduled Backup. Cron schedules run at the next matching time; "@every"
 * schedules count from the Schedule's last Backup (or its creation), as Velero does.
 */
export function nextRunTime(
  schedule: ResolvedSchedule,
  nowMs: number,
  everyAnchorMs: number | undefined,
): number | undefined {
  if (schedule.cron.kind === 'cron') return nextCronRun(schedule.cron, schedule.timeZone, nowMs);
  const interval = schedule.cron.intervalMs;
  return (everyAnchorMs ?? nowMs) + interval;
}
