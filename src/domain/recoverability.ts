// What Prometheus is told about one ConsistentBackup: "are we recoverable?" as numbers, read from the status
// the operator wrote (so the metrics never disagree with `kubectl get`) and the clock.
import type {
  BackupEvidence,
  BackupHistoryEntry,
  Consistency,
  ConsistentBackup,
} from '../api/consistent-backup.ts';
import type { RestoreDrill } from '../api/consistent-restore.ts';
import { parseDuration } from './duration.ts';
import { resolveSchedule, nextRunTime } from './schedule.ts';
import { toMillis } from './time.ts';

export const GRADES: readonly Consistency[] = [
  'AppConsistent',
  'CrashConsistent',
  'Inconsistent',
  'Unverified',
];

/**
 * How late a scheduled run may start before it counts as missed: Velero's schedule controller starts a due
 * Backup within about a minute; a few minutes of slack keep a busy Velero from looking like a broken one.
 */
export const MISSED_RUN_GRACE_MS = 5 * 60_000;
/** Missed runs are counted up to here: enough to alert on, bounded work per scrape. */
export const MAX_MISSED_RUNS = 100;

export interface Recoverability {
  readonly rpoTargetSeconds?: number;
  /** The RPO's recovery point: start of the newest consistent (or, if the RPO counts only those, verified) backup. */
  readonly recoveryPointSeconds?: number;
  readonly rpoMet?: boolean;
  /** Until the RPO deadline; negative: since it passed. */
  readonly rpoDeadlineRemainingSeconds?: number;
  readonly lastGrade?: Consistency;
  readonly nextRunSeconds?: number;
  /** The newest finished backups graded Inconsistent, counted until the first one that is not. */
  readonly consecutiveInconsistent: number;
  /** Scheduled runs due since the newest scheduled backup (or since creation) that Velero did not start. */
  readonly missedScheduledRuns: number;
}

export function recoverability(cr: ConsistentBackup, nowMs: number): Recoverability {
  const status = cr.status ?? {};
  const rpoMs = cr.spec.rpo === undefined ? undefined : parseDuration(cr.spec.rpo);
  const deadlineMs = toMillis(status.rpo?.deadline);
  // With spec.rpo the RPO's own point (only verified backups with spec.rpoCounts Verified), else the newest
  // consistent backup.
  const recoveryPointMs = toMillis(
    status.rpo ? status.rpo.recoveryPoint : status.lastConsistentBackup?.startTimestamp,
  );
  const nextRunMs = toMillis(status.nextBackupTime);
  return {
    ...(rpoMs !== undefined && { rpoTargetSeconds: rpoMs / 1000 }),
    ...(recoveryPointMs !== undefined && { recoveryPointSeconds: recoveryPointMs / 1000 }),
    ...(status.rpo?.met !== undefined && { rpoMet: status.rpo.met }),
    ...(deadlineMs !== undefined && { rpoDeadlineRemainingSeconds: (deadlineMs - nowMs) / 1000 }),
    ...(status.lastBackup?.consistency && { lastGrade: status.lastBackup.consistency }),
    ...(nextRunMs !== undefined && { nextRunSeconds: nextRunMs / 1000 }),
    consecutiveInconsistent: consecutiveInconsistent(status.history ?? []),
    missedScheduledRuns: missedScheduledRuns(cr, nowMs),
  };
}

/** What Prometheus is told about one RestoreDrill, read from the status the operator wrote. */
export interface DrillRecoverability {
  readonly rtoTargetSeconds?: number;
  /** The last drill's RTO: Velero Restore created -> restore and checks finished. */
  readonly lastRtoSeconds?: number;
  /** Whether the last drill passed; unset before the first one finished. */
  readonly recoverable?: boolean;
  readonly lastVerifiedRecoveryPointSeconds?: number;
}

export function drillRecoverability(drill: RestoreDrill): DrillRecoverability {
  const verification = drill.status?.verification;
  const targetMs = drill.spec.rtoTarget === undefined ? undefined : parseDuration(drill.spec.rtoTarget);
  const pointMs = toMillis(verification?.lastVerifiedRecoveryPoint);
  const lastRtoSeconds = verification?.rto?.lastSeconds;
  return {
    ...(targetMs !== undefined && { rtoTargetSeconds: targetMs / 1000 }),
    ...(lastRtoSeconds !== undefined && { lastRtoSeconds }),
    ...(verification?.result && { recoverable: verification.result === 'Passed' }),
    ...(pointMs !== undefined && { lastVerifiedRecoveryPointSeconds: pointMs / 1000 }),
  };
}

/**
 * History is newest first. Backups without a grade yet and Unverified ones neither extend nor end the run:
 * only a consistent backup ends it.
 */
function consecutiveInconsistent(history: readonly BackupHistoryEntry[]): number {
  let count = 0;
  for (const entry of history) {
    if (entry.consistency === 'AppConsistent' || entry.consistency === 'CrashConsistent') break;
    if (entry.consistency === 'Inconsistent') count++;
  }
  return count;
}

function missedScheduledRuns(cr: ConsistentBackup, nowMs: number): number {
  if (cr.status?.phase !== 'Scheduled') return 0;
  const schedule = resolveSchedule(cr.spec);
  if (schedule === undefined || 'problems' in schedule) return 0;
  const newestScheduled = (cr.status.history ?? [])
    .filter((e) => e.trigger === 'schedule')
    .map((e) => toMillis(e.creationTimestamp))
    .find((ms) => ms !== undefined);
  const anchor = newestScheduled ?? toMillis(cr.metadata?.creationTimestamp);
  if (anchor === undefined) return 0;
  let missed = 0;
  for (
    let run = nextRunTime(schedule, anchor, anchor);
    run !== undefined && run <= nowMs - MISSED_RUN_GRACE_MS;
  ) {
    if (++missed >= MAX_MISSED_RUNS) break;
    run = nextRunTime(schedule, run, run);
  }
  return missed;
}

/** Hook executions Velero's log shows as failed in one backup, once its records were read. */
export function failedHookExecutions(evidence: BackupEvidence | undefined): number {
  if (!evidence || evidence.unavailable !== undefined) return 0;
  const perHook = (evidence.hooks ?? []).reduce((sum, h) => sum + (h.failed ?? 0), 0);
  return perHook + (evidence.unattributedFailures ?? 0);
}
