// How a Velero Backup is shown in a ConsistentBackup's status.
import type {
  BackupEvidence,
  BackupHistoryEntry,
  BackupTrigger,
  LastBackupStatus,
} from '../api/consistent-backup.ts';
import { LABEL_TRIGGER, RUN_TOKEN_ANNOTATION, VELERO_SCHEDULE_NAME_LABEL } from '../api/constants.ts';
import type { VeleroBackup } from '../api/velero.ts';
import { isHeadingForPartialFailure, phaseStage } from './backup-phase.ts';
import type { Grade } from './grading.ts';
import { formatTime, toMillis } from './time.ts';

export const MAX_HISTORY = 10;

export function triggerOf(backup: VeleroBackup): BackupTrigger | undefined {
  const label = backup.metadata.labels?.[LABEL_TRIGGER];
  if (label === 'schedule' || label === 'one-shot' || label === 'run-now') return label;
  if (backup.metadata.annotations?.[RUN_TOKEN_ANNOTATION] !== undefined) return 'run-now';
  return backup.metadata.labels?.[VELERO_SCHEDULE_NAME_LABEL] !== undefined ? 'schedule' : undefined;
}

function timestamp(value: string | undefined): string | undefined {
  const ms = toMillis(value);
  return ms === undefined ? undefined : formatTime(ms);
}

/** What the backup is doing, for one that has no grade yet. */
function progressMessage(phase: string | undefined): string {
  switch (phaseStage(phase)) {
    case 'finished':
      return `${phase}; reading Velero's log, results and resource list of it to grade its hooks`;
    case 'queued':
      return 'waiting for Velero to start it';
    case 'running':
      return isHeadingForPartialFailure(phase)
        ? 'in progress; Velero already counted an error, so it will end PartiallyFailed'
        : 'in progress';
    case 'deleting':
      return 'being deleted by Velero';
    default:
      return `Velero reports a phase this operator does not know: "${phase}"`;
  }
}

export function lastBackupStatus(
  backup: VeleroBackup,
  grade: Grade | undefined,
  evidence?: BackupEvidence,
): LastBackupStatus {
  const status = backup.status ?? {};
  const trigger = triggerOf(backup);
  const started = timestamp(status.startTimestamp);
  const completed = timestamp(status.completionTimestamp);
  return {
    name: backup.metadata.name ?? '',
    ...(trigger && { trigger }),
    phase: status.phase || 'New',
    ...(started && { startTimestamp: started }),
    ...(completed && { completionTimestamp: completed }),
    hooksAttempted: status.hookStatus?.hooksAttempted ?? 0,
    hooksFailed: status.hookStatus?.hooksFailed ?? 0,
    ...(evidence && { evidence }),
    errors: status.errors ?? 0,
    warnings: status.warnings ?? 0,
    ...(grade && { consistency: grade.consistency }),
    message: grade ? grade.message : progressMessage(status.phase),
  };
}

/** The backup as history keeps it, with Velero's records of it (read once, graded from again). */
export function historyEntry(
  backup: VeleroBackup,
  grade: Grade | undefined,
  evidence?: BackupEvidence,
): BackupHistoryEntry {
  const last = lastBackupStatus(backup, grade);
  const created = toMillis(backup.metadata.creationTimestamp);
  return {
    name: last.name,
    ...(last.trigger && { trigger: last.trigger }),
    phase: last.phase,
    ...(created !== undefined && { creationTimestamp: formatTime(created) }),
    ...(last.startTimestamp && { startTimestamp: last.startTimestamp }),
    ...(last.completionTimestamp && { completionTimestamp: last.completionTimestamp }),
    ...(last.consistency && { consistency: last.consistency }),
    ...(evidence && { evidence }),
  };
}

/**
 * The newest backups, newest first: the ones Velero still has, plus remembered ones it no longer has (expired
 * or deleted), as they were last seen.
 */
export function mergeHistory(
  remembered: readonly BackupHistoryEntry[],
  current: readonly BackupHistoryEntry[],
): BackupHistoryEntry[] {
  const names = new Set(current.map((e) => e.name));
  const merged = [...current, ...remembered.filter((e) => !names.has(e.name))];
  // No creation time: a Backup just created and not read back yet, so the newest (and kept).
  const created = (e: BackupHistoryEntry) => toMillis(e.creationTimestamp) ?? Number.MAX_SAFE_INTEGER;
  return merged.sort((a, b) => created(b) - created(a)).slice(0, MAX_HISTORY);
}
