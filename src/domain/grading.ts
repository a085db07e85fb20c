// How consistent a finished Velero Backup is. Velero's own verdict is not enough: a Completed backup whose
// hooks never ran is only crash-consistent, and a failed hook makes Velero say PartiallyFailed, never Failed.
import type { Consistency } from '../api/consistent-backup.ts';
import type { VeleroBackup } from '../api/velero.ts';
import { phaseStage } from './backup-phase.ts';

export interface Grade {
  readonly consistency: Consistency;
  /** CamelCase, for the LastBackupConsistent condition. */
  readonly reason: string;
  readonly message: string;
}

/** What preflight expected of a backup's hooks; the same fields are kept with the backup in status.history. */
export interface GradingContext {
  /** Hook executions preflight expected for this backup; a lower hooksAttempted means some were missed. */
  readonly expectedHookExecutions?: number;
  /** Where they were expected, for the message (e.g. "hook db expected 2 executions on pods db-0, db-1"). */
  readonly expectedHookTargets?: string;
  /** Hooks that had no pod to run in: the backup went ahead without them. */
  readonly hooksWithoutTarget?: readonly string[];
}

/** Whether the Backup itself declares hooks: what counts is what Velero was asked to run for this backup. */
export function declaresHooks(backup: VeleroBackup): boolean {
  return (backup.spec.hooks?.resources ?? []).some((r) => (r.pre?.length ?? 0) + (r.post?.length ?? 0) > 0);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function gradeCompleted(
  backup: VeleroBackup,
  attempted: number,
  failed: number,
  context: GradingContext,
): Grade {
  if (!declaresHooks(backup)) {
    return {
      consistency: 'CrashConsistent',
      reason: 'CrashConsistent',
      message: 'Completed without hooks: consistent like after a power cut',
    };
  }
  if (failed > 0) {
    return {
      consistency: 'Inconsistent',
      reason: 'HooksFailed',
      message: `Completed, but ${failed} of ${plural(attempted, 'hook execution')} failed`,
    };
  }
  if (attempted === 0) {
    return {
      consistency: 'Inconsistent',
      reason: 'NoHooksRan',
      message:
        'Completed, but Velero ran none of the declared hooks: no running pod matched their selectors, or the backup left those pods out',
    };
  }
  const untargeted = context.hooksWithoutTarget ?? [];
  if (untargeted.length > 0) {
    return {
      consistency: 'Inconsistent',
      reason: 'HookTargetsMissing',
      message: `Completed, but ${plural(untargeted.length, 'hook')} had no pod to run in when it started (${untargeted.join(', ')}), so ${untargeted.length === 1 ? 'it' : 'they'} ran nowhere`,
    };
  }
  const expected = context.expectedHookExecutions;
  if (expected !== undefined && attempted < expected) {
    const where = context.expectedHookTargets ? ` (${context.expectedHookTargets})` : '';
    return {
      consistency: 'Inconsistent',
      reason: 'HooksMissed',
      message: `Completed, but Velero attempted ${attempted} of the ${plural(expected, 'expected hook execution')}${where}`,
    };
  }
  return {
    consistency: 'AppConsistent',
    reason: 'AppConsistent',
    message: `Completed; ${plural(attempted, 'hook execution')} ran, none failed`,
  };
}

/** The grade of a finished backup; undefined while it is not finished (or being deleted). */
export function gradeBackup(backup: VeleroBackup, context: GradingContext = {}): Grade | undefined {
  const status = backup.status ?? {};
  if (phaseStage(status.phase) !== 'finished') return undefined;
  const attempted = status.hookStatus?.hooksAttempted ?? 0;
  const failed = status.hookStatus?.hooksFailed ?? 0;
  switch (status.phase) {
    case 'Completed':
      return gradeCompleted(backup, attempted, failed, context);
    case 'PartiallyFailed':
      return failed > 0
        ? {
            consistency: 'Inconsistent',
            reason: 'HooksFailed',
            message: `PartiallyFailed: ${failed} of ${plural(attempted, 'hook execution')} failed (Velero reports failed hooks as PartiallyFailed, never as Failed)`,
          }
        : {
            consistency: 'Inconsistent',
            reason: 'BackupPartiallyFailed',
            message: `PartiallyFailed with ${plural(status.errors ?? 0, 'error')} and no failed hook: some items or volumes were not backed up (see the backup's logs)`,
          };
    case 'Failed':
      return {
        consistency: 'Inconsistent',
        reason: 'BackupFailed',
        message: `Failed${status.failureReason ? ` (${status.failureReason})` : ''}: the backup itself failed, not a hook (Velero reports hook failures as PartiallyFailed); when the Velero server restarts mid-backup, post hooks never run`,
      };
    default:
      return {
        consistency: 'Inconsistent',
        reason: 'BackupFailedValidation',
        message: `FailedValidation: Velero refused the backup before taking anything${status.validationErrors?.length ? `: ${status.validationErrors.join('; ')}` : ''}`,
      };
  }
}
