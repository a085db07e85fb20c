// How consistent a finished Velero Backup is. Velero's own verdict is not enough: a Completed backup whose
// hooks never ran is only crash-consistent, and a failed hook makes Velero say PartiallyFailed, never Failed.
// A grade follows only from what exists after the fact (Velero's status and its records of the backup), so it
// is the same whether or not the operator watched the backup run.
import type { BackupEvidence, Consistency } from '../api/consistent-backup.ts';
import type { VeleroBackup } from '../api/velero.ts';
import { phaseStage } from './backup-phase.ts';
import { nameList } from './bounded-lists.ts';

export interface Grade {
  readonly consistency: Consistency;
  /** CamelCase, for the LastBackupConsistent condition. */
  readonly reason: string;
  readonly message: string;
}

/** Whether the Backup itself declares hooks: what counts is what Velero was asked to run for this backup. */
export function declaresHooks(backup: VeleroBackup): boolean {
  return (backup.spec.hooks?.resources ?? []).some((r) => (r.pre?.length ?? 0) + (r.post?.length ?? 0) > 0);
}

/**
 * Whether the grade needs Velero's records of the backup: every finished backup that declared hooks (a
 * Completed one to be graded at all, the others for their per-hook detail).
 */
export function needsEvidence(backup: VeleroBackup): boolean {
  const phase = backup.status?.phase;
  return phaseStage(phase) === 'finished' && phase !== 'FailedValidation' && declaresHooks(backup);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

const inconsistent = (reason: string, message: string): Grade => ({
  consistency: 'Inconsistent',
  reason,
  message,
});

/** Where the failures were, from the evidence, for a message: " (hook db failed 1; pods left out: db-0)". */
function failureDetail(evidence: BackupEvidence | undefined): string {
  if (!evidence || evidence.unavailable) return '';
  const parts = (evidence.hooks ?? [])
    .filter((h) => (h.failed ?? 0) > 0)
    .map((h) => `hook ${h.name} failed ${h.failed} of ${h.attempted}`);
  if (evidence.podsLeftOut?.length)
    parts.push(`pods left out of the backup: ${nameList(evidence.podsLeftOut)}`);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

/** A Completed backup that declared hooks, against Velero's records of it. */
function gradeHooks(backup: VeleroBackup, evidence: BackupEvidence, attempted: number): Grade {
  if (evidence.unavailable) {
    return {
      consistency: 'Unverified',
      reason: 'Unverified',
      message: `Completed, but Velero's records of it could not be read, so whether its hooks ran everywhere is unknown: ${evidence.unavailable}`,
    };
  }
  const declared = new Set((backup.spec.hooks?.resources ?? []).map((r) => r.name));
  const hooks = (evidence.hooks ?? []).filter((h) => declared.has(h.name ?? ''));
  const nowhere = hooks.filter((h) => (h.attempted ?? 0) === 0).map((h) => h.name ?? '');
  if (nowhere.length > 0) {
    return inconsistent(
      'HookRanNowhere',
      `Completed, but ${plural(nowhere.length, 'hook')} ran in no pod (${nowhere.join(', ')}): no pod in the backup matched, or pod hook annotations replaced ${nowhere.length === 1 ? 'it' : 'them'}`,
    );
  }
  const short = hooks.filter((h) => (h.attempted ?? 0) < (h.expected ?? 0));
  if (short.length > 0) {
    const detail = short.map((h) => `hook ${h.name} ran ${h.attempted} of ${h.expected}`).join('; ');
    return inconsistent(
      'HooksMissed',
      `Completed, but some pods did not run every action of their hooks (${detail}): Velero skips the post hooks of a pod whose pre hook timed out`,
    );
  }
  const logged = (evidence.hooks ?? []).reduce((sum, h) => sum + (h.attempted ?? 0), 0);
  if (logged !== attempted) {
    return {
      consistency: 'Unverified',
      reason: 'EvidenceIncomplete',
      message: `Completed, but Velero's log shows ${plural(logged, 'hook execution')} where its status counts ${attempted}`,
    };
  }
  return {
    consistency: 'AppConsistent',
    reason: 'AppConsistent',
    message: `Completed; ${plural(attempted, 'hook execution')} ran, none failed, every hook in every pod it reached`,
  };
}

/**
 * The grade of a finished backup; undefined while it is not finished (or being deleted), or while Velero's
 * records of a Completed backup with hooks are still being read (`evidence` undefined).
 */
export function gradeBackup(backup: VeleroBackup, evidence?: BackupEvidence): Grade | undefined {
  const status = backup.status ?? {};
  if (phaseStage(status.phase) !== 'finished') return undefined;
  const attempted = status.hookStatus?.hooksAttempted ?? 0;
  const failed = status.hookStatus?.hooksFailed ?? 0;
  switch (status.phase) {
    case 'Completed':
      if (!declaresHooks(backup)) {
        return {
          consistency: 'CrashConsistent',
          reason: 'CrashConsistent',
          message: 'Completed without hooks: consistent like after a power cut',
        };
      }
      if (failed > 0) {
        return inconsistent(
          'HooksFailed',
          `Completed, but ${failed} of ${plural(attempted, 'hook execution')} failed${failureDetail(evidence)}`,
        );
      }
      // Velero's own count is enough to tell that no hook ran: no need to wait for (or read) its records.
      if (attempted === 0) {
        return inconsistent(
          'NoHooksRan',
          'Completed, but Velero ran none of the declared hooks: no running pod matched their selectors, or the backup left those pods out',
        );
      }
      return evidence ? gradeHooks(backup, evidence, attempted) : undefined;
    case 'PartiallyFailed':
      return failed > 0
        ? inconsistent(
            'HooksFailed',
            `PartiallyFailed: ${failed} of ${plural(attempted, 'hook execution')} failed${failureDetail(evidence)} (Velero reports failed hooks as PartiallyFailed, never as Failed)`,
          )
        : inconsistent(
            'BackupPartiallyFailed',
            `PartiallyFailed with ${plural(status.errors ?? 0, 'error')} and no failed hook: some items or volumes were not backed up (see the backup's logs)`,
          );
    case 'Failed':
      return inconsistent(
        'BackupFailed',
        `Failed${status.failureReason ? ` (${status.failureReason})` : ''}: the backup itself failed, not a hook (Velero reports hook failures as PartiallyFailed); when the Velero server restarts mid-backup, post hooks never run`,
      );
    default:
      return inconsistent(
        'BackupFailedValidation',
        `FailedValidation: Velero refused the backup before taking anything${status.validationErrors?.length ? `: ${status.validationErrors.join('; ')}` : ''}`,
      );
  }
}
