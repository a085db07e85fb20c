// Recovery point objective: is the newest consistent recovery point recent enough (RPOMet), and can the
// schedule keep it so (RPOAchievable)?
import type { ConsistentBackupSpec, RpoStatus } from '../api/consistent-backup.ts';
import type { ConditionInput } from './conditions.ts';
import { largestGap } from './cron/gaps.ts';
import { formatDuration } from './duration.ts';
import type { ResolvedSchedule } from './schedule.ts';
import { formatTime } from './time.ts';

export interface RecoveryPoint {
  readonly backupName: string;
  /** The backup's startTimestamp: its data's point in time (completion can be hours later). */
  readonly atMs: number;
}

/** spec.rpoCounts: which backups are recovery points for the RPO. */
export type RpoCounts = NonNullable<ConsistentBackupSpec['rpoCounts']>;

export interface RpoEvaluation {
  readonly status: RpoStatus;
  readonly condition: ConditionInput;
  /** When RPOMet flips to False unless a newer consistent backup arrives; the reconciler requeues for it. */
  readonly deadlineMs: number;
}

export function evaluateRpo(args: {
  rpo: string;
  rpoMs: number;
  recoveryPoint: RecoveryPoint | undefined;
  /** The ConsistentBackup's creation: the clock starts there before the first consistent backup. */
  createdMs: number;
  nowMs: number;
  /** spec.rpoCounts: with Verified, recoveryPoint is the newest backup a RestoreDrill verified. */
  counts?: RpoCounts;
}): RpoEvaluation {
  const { rpo, rpoMs, recoveryPoint, createdMs, nowMs } = args;
  const deadlineMs = (recoveryPoint?.atMs ?? createdMs) + rpoMs;
  const met = nowMs < deadlineMs;
  const deadline = formatTime(deadlineMs);
  const kind = args.counts === 'Verified' ? 'verified' : 'consistent';
  const since = recoveryPoint
    ? `the newest ${kind} backup ${recoveryPoint.backupName} started at ${formatTime(recoveryPoint.atMs)}`
    : `no ${kind} backup since the ConsistentBackup was created at ${formatTime(createdMs)}`;
  // Says why a consistent backup newer than the recovery point does not count.
  const scope =
    args.counts === 'Verified'
      ? ' (spec.rpoCounts Verified: the rpo counts only backups a RestoreDrill restored and checked)'
      : '';
  const condition: ConditionInput = met
    ? {
        type: 'RPOMet',
        status: 'True',
        reason: recoveryPoint ? 'WithinRPO' : 'AwaitingFirstBackup',
        message: `${since}; the rpo of ${rpo} holds until ${deadline}${scope}`,
      }
    : {
        type: 'RPOMet',
        status: 'False',
        reason: 'RPOBreached',
        message: `${since}; the rpo of ${rpo} was breached at ${deadline}${scope}`,
      };
  return {
    status: {
      target: rpo,
      ...(recoveryPoint && { recoveryPoint: formatTime(recoveryPoint.atMs) }),
      deadline,
      met,
    },
    condition,
    deadlineMs,
  };
}

/** Whether the schedule can meet the rpo at all: its largest gap between runs must be shorter. */
export function rpoAchievability(args: {
  rpo: string;
  rpoMs: number;
  schedule: ResolvedSchedule | undefined;
  suspended: boolean;
  ttl: string | undefined;
  ttlMs: number | undefined;
  nowMs: number;
}): ConditionInput {
  const { rpo, rpoMs, schedule, suspended, ttl, ttlMs, nowMs } = args;
  const type = 'RPOAchievable';
  if (!schedule) {
    return {
      type,
      status: 'False',
      reason: 'NoSchedule',
      message: `without spec.schedule only run-now requests make new recovery points; rpo is ${rpo}`,
    };
  }
  if (suspended) {
    return {
      type,
      status: 'False',
      reason: 'Suspended',
      message: `spec.suspend stops scheduled backups; rpo is ${rpo}`,
    };
  }
  const gap = largestGap(schedule.cron, schedule.timeZone, schedule.expression, nowMs);
  if (gap.largestGapMs === Infinity) {
    return {
      type,
      status: 'False',
      reason: 'ScheduleTooSparse',
      message: `schedule runs less than twice in 5 years; rpo is ${rpo}`,
    };
  }
  const gaps = `schedule leaves gaps of up to ${formatDuration(gap.largestGapMs)}`;
  const after = gap.gapStartMs === undefined ? '' : ` (after the run at ${formatTime(gap.gapStartMs)})`;
  if (gap.largestGapMs >= rpoMs) {
    return {
      type,
      status: 'False',
      reason: 'ScheduleTooSparse',
      message: `${gaps}${after}; rpo is ${rpo}: it must be longer than the largest gap, since a backup also takes time to start`,
    };
  }
  if (ttl !== undefined && ttlMs !== undefined && ttlMs <= gap.largestGapMs) {
    return {
      type,
      status: 'False',
      reason: 'TTLTooShort',
      message: `${gaps}${after} but ttl is ${ttl}: backups expire before the next one exists`,
    };
  }
  return { type, status: 'True', reason: 'Achievable', message: `${gaps}; rpo is ${rpo}` };
}
