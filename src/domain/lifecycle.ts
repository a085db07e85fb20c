// The ConsistentBackup's phase and Ready condition: is what it declares in effect?
import type { ConsistentBackupPhase, LastBackupStatus } from '../api/consistent-backup.ts';
import type { VeleroBackup, VeleroSchedule } from '../api/velero.ts';
import { phaseStage } from './backup-phase.ts';
import type { ConditionInput } from './conditions.ts';
import { describeProblems, type Problem } from './problems.ts';

export interface LifecycleInputs {
  readonly problems: readonly Problem[];
  readonly scheduled: boolean;
  readonly suspended: boolean;
  /** Name of the Velero Schedule as namespace/name, for messages. */
  readonly scheduleRef: string;
  readonly schedule: VeleroSchedule | undefined;
  readonly backups: readonly VeleroBackup[];
  readonly lastBackup: LastBackupStatus | undefined;
  /** Set while spec.onMissingHookTarget Skip holds backups back: why. */
  readonly heldForHookTargets?: string;
  /** Set while Velero's objects cannot be used at all (e.g. its CRDs are not installed): why. */
  readonly veleroUnavailable?: VeleroUnavailable;
}

export interface VeleroUnavailable {
  readonly reason: string;
  readonly message: string;
}

function heldReady(message: string): ConditionInput {
  return { type: 'Ready', status: 'False', reason: 'WaitingForHookTargets', message };
}

function scheduleReady(inputs: LifecycleInputs): ConditionInput {
  const type = 'Ready';
  const { schedule, scheduleRef } = inputs;
  if (inputs.suspended) {
    return {
      type,
      status: 'False',
      reason: 'Suspended',
      message: `spec.suspend is true: Velero Schedule ${scheduleRef} is paused`,
    };
  }
  if (inputs.heldForHookTargets) return heldReady(inputs.heldForHookTargets);
  if (!schedule) {
    return {
      type,
      status: 'False',
      reason: 'WaitingForVelero',
      message: `Velero Schedule ${scheduleRef} does not exist yet`,
    };
  }
  switch (schedule.status?.phase) {
    case 'Enabled':
      return {
        type,
        status: 'True',
        reason: 'ScheduleEnabled',
        message: `Velero Schedule ${scheduleRef} is enabled`,
      };
    case 'FailedValidation':
      return {
        type,
        status: 'False',
        reason: 'ScheduleFailedValidation',
        message: `Velero rejected Schedule ${scheduleRef}: ${(schedule.status.validationErrors ?? []).join('; ') || 'no reason given'}`,
      };
    default:
      return {
        type,
        status: 'False',
        reason: 'WaitingForVelero',
        message: `Velero has not validated Schedule ${scheduleRef} yet; is the Velero server running?`,
      };
  }
}

function singleBackupReady(inputs: LifecycleInputs): ConditionInput {
  const type = 'Ready';
  const last = inputs.lastBackup;
  if (!last) {
    if (inputs.heldForHookTargets && !inputs.suspended) return heldReady(inputs.heldForHookTargets);
    return inputs.suspended
      ? {
          type,
          status: 'False',
          reason: 'Suspended',
          message: 'spec.suspend is true: the backup is held back',
        }
      : {
          type,
          status: 'False',
          reason: 'WaitingForVelero',
          message: 'the Velero Backup does not exist yet',
        };
  }
  const what = `backup ${last.name}`;
  if (last.consistency === 'AppConsistent' || last.consistency === 'CrashConsistent') {
    return {
      type,
      status: 'True',
      reason: 'BackupCompleted',
      message: `${what}: ${last.message ?? last.consistency}`,
    };
  }
  if (last.consistency === 'Inconsistent') {
    return {
      type,
      status: 'False',
      reason: 'BackupInconsistent',
      message: `${what}: ${last.message ?? 'inconsistent'}`,
    };
  }
  switch (phaseStage(last.phase)) {
    case 'queued':
      return {
        type,
        status: 'False',
        reason: 'BackupQueued',
        message: `${what} is waiting for Velero; is the Velero server running?`,
      };
    case 'running':
      return { type, status: 'False', reason: 'BackupInProgress', message: `${what} is in progress` };
    case 'finished':
      // Graded only from Velero's records of it: not read yet, or unreadable so far (Unverified).
      return {
        type,
        status: 'Unknown',
        reason: last.consistency === 'Unverified' ? 'BackupUnverified' : 'VerifyingBackup',
        message: `${what}: ${last.message ?? last.phase}`,
      };
    case 'deleting':
      return {
        type,
        status: 'False',
        reason: 'BackupDeleting',
        message: `${what} is being deleted by Velero`,
      };
    default:
      return {
        type,
        status: 'Unknown',
        reason: 'UnknownBackupPhase',
        message: `${what} is in Velero phase "${last.phase}"`,
      };
  }
}

export function readyCondition(inputs: LifecycleInputs): ConditionInput {
  if (inputs.problems.length > 0) {
    const reasons = new Set(inputs.problems.map((p) => p.reason));
    return {
      type: 'Ready',
      status: 'False',
      reason: reasons.size === 1 ? ([...reasons][0] ?? 'InvalidSpec') : 'InvalidSpec',
      message: describeProblems(inputs.problems),
    };
  }
  if (inputs.veleroUnavailable) return { type: 'Ready', status: 'False', ...inputs.veleroUnavailable };
  return inputs.scheduled ? scheduleReady(inputs) : singleBackupReady(inputs);
}

export function lifecyclePhase(inputs: LifecycleInputs): ConsistentBackupPhase {
  if (inputs.problems.length > 0) return 'Invalid';
  const stages = inputs.backups.map((b) => phaseStage(b.status?.phase));
  if (stages.includes('running')) return 'Running';
  if (stages.includes('queued')) return 'Queued';
  if (inputs.scheduled) {
    if (inputs.suspended) return 'Suspended';
    if (inputs.heldForHookTargets) return 'Pending';
    const schedulePhase = inputs.schedule?.status?.phase;
    if (schedulePhase === 'Enabled') return 'Scheduled';
    return schedulePhase === 'FailedValidation' ? 'Failed' : 'Pending';
  }
  const consistency = inputs.lastBackup?.consistency;
  // Finished, its grade waiting for Velero's records of it: still the operator's work in progress.
  if (consistency === undefined && phaseStage(inputs.lastBackup?.phase) === 'finished') return 'Running';
  if (consistency === 'AppConsistent' || consistency === 'CrashConsistent') return 'Completed';
  if (consistency === 'Inconsistent') return 'Failed';
  return inputs.suspended && !inputs.lastBackup ? 'Suspended' : 'Pending';
}
