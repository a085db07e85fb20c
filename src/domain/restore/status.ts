// A ConsistentRestore's status, from what exists: the Velero Restore (its phase, hook counts, warnings and
// errors as Velero reports them) or why there is none. A restore succeeds only when Velero completed it and
// every declared hook and check ran and none failed; Velero counts checks among its hooks, since they are
// restore exec hooks.
import type { Condition } from '../../api/consistent-backup.ts';
import type {
  ConsistentRestore,
  ConsistentRestoreStatus,
  RestorePhase,
} from '../../api/consistent-restore.ts';
import type { VeleroRestore } from '../../api/velero.ts';
import { setCondition, type ConditionInput } from '../conditions.ts';
import { formatDuration } from '../duration.ts';
import { toMillis } from '../time.ts';

const FINISHED = ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'];

export type RestoreSituation =
  /** Not started, and why (phase Pending, Invalid or Refused). */
  | { kind: 'blocked'; phase: 'Pending' | 'Invalid' | 'Refused'; reason: string; message: string }
  | {
      kind: 'restoring';
      restore: VeleroRestore;
      targetNamespace: string;
      declaredActions: number;
      recoveryPoint?: string;
    };

export function isFinished(restore: VeleroRestore | undefined): boolean {
  return FINISHED.includes(restore?.status?.phase ?? '');
}

export function computeRestoreStatus(
  cr: ConsistentRestore,
  situation: RestoreSituation,
  now: number,
): ConsistentRestoreStatus {
  const previous = cr.status ?? {};
  const generation = cr.metadata?.generation;
  let conditions: Condition[] = previous.conditions ?? [];
  const set = (input: ConditionInput) => {
    conditions = setCondition(conditions, input, now, generation);
  };
  if (situation.kind === 'blocked') {
    const { phase, reason, message } = situation;
    set({ type: 'Restored', status: 'False', reason, message });
    set({ type: 'ChecksPassed', status: 'Unknown', reason, message });
    return {
      ...keep(previous),
      ...(generation !== undefined && { observedGeneration: generation }),
      phase,
      message,
      conditions,
    };
  }
  const { restore, targetNamespace, declaredActions } = situation;
  const veleroPhase = restore.status?.phase ?? '';
  const hooks = restore.status?.hookStatus ?? {};
  const attempted = hooks.hooksAttempted ?? 0;
  const failed = hooks.hooksFailed ?? 0;
  const started = toMillis(restore.metadata.creationTimestamp);
  const completed = toMillis(restore.status?.completionTimestamp);
  const finished = isFinished(restore);
  const outcome = finished ? judge(veleroPhase, attempted, failed, declaredActions, restore) : undefined;
  set(
    !finished
      ? {
          type: 'Restored',
          status: 'Unknown',
          reason: 'Restoring',
          message: `Velero: ${veleroPhase || 'New'}`,
        }
      : ['Completed', 'PartiallyFailed'].includes(veleroPhase)
        ? { type: 'Restored', status: 'True', reason: veleroPhase, message: `Velero restore ${veleroPhase}` }
        : {
            type: 'Restored',
            status: 'False',
            reason: veleroPhase,
            message:
              restore.status?.failureReason ?? restore.status?.validationErrors?.join('; ') ?? veleroPhase,
          },
  );
  set(
    outcome
      ? {
          type: 'ChecksPassed',
          status: outcome.ok ? 'True' : 'False',
          reason: outcome.reason,
          message: outcome.message,
        }
      : {
          type: 'ChecksPassed',
          status: 'Unknown',
          reason: 'Restoring',
          message: 'the restore has not finished',
        },
  );
  const phase: RestorePhase = !outcome ? 'Restoring' : outcome.ok ? 'Succeeded' : 'Failed';
  const durationMs =
    started !== undefined && completed !== undefined && finished
      ? Math.max(0, completed - started)
      : undefined;
  return {
    ...(generation !== undefined && { observedGeneration: generation }),
    phase,
    message: outcome?.message ?? `restoring backup ${restore.spec.backupName} into ${targetNamespace}`,
    veleroNamespace: restore.metadata.namespace ?? '',
    restoreName: restore.metadata.name ?? '',
    backupName: restore.spec.backupName,
    ...(situation.recoveryPoint && { recoveryPoint: situation.recoveryPoint }),
    targetNamespace,
    ...(restore.metadata.creationTimestamp && { startTime: restore.metadata.creationTimestamp }),
    ...(finished &&
      restore.status?.completionTimestamp && { completionTime: restore.status.completionTimestamp }),
    ...(durationMs !== undefined && {
      duration: formatDuration(durationMs),
      durationSeconds: Math.round(durationMs / 1000),
    }),
    ...(veleroPhase && { veleroPhase }),
    hooks: { expected: declaredActions, attempted, failed },
    warnings: restore.status?.warnings ?? 0,
    errors: restore.status?.errors ?? 0,
    conditions,
  };
}

function judge(
  veleroPhase: string,
  attempted: number,
  failed: number,
  declared: number,
  restore: VeleroRestore,
): { ok: boolean; reason: string; message: string } {
  if (veleroPhase === 'Failed' || veleroPhase === 'FailedValidation')
    return restoreFailure(veleroPhase, restore);
  if (failed > 0) {
    return {
      ok: false,
      reason: 'CheckFailed',
      message: `${failed} of ${attempted} restore hooks and checks failed`,
    };
  }
  if (attempted < declared) {
    return {
      ok: false,
      reason: 'ChecksNotRun',
      message: `Velero ran ${attempted} restore hooks and checks of the ${declared} declared: a selector matched no restored pod`,
    };
  }
  if (veleroPhase !== 'Completed') return restoreFailure(veleroPhase, restore);
  return {
    ok: true,
    reason: declared > 0 ? 'ChecksPassed' : 'NoChecks',
    message:
      declared > 0
        ? `restored; all ${attempted} restore hooks and checks passed`
        : 'restored; no hooks or checks were declared, so nothing was checked',
  };
}

function restoreFailure(veleroPhase: string, restore: VeleroRestore) {
  const errors = restore.status?.errors ?? 0;
  const why = restore.status?.failureReason ?? restore.status?.validationErrors?.join('; ');
  return {
    ok: false,
    reason: `Restore${veleroPhase}`,
    message: `Velero restore ${veleroPhase}${errors ? ` with ${errors} errors` : ''}${why ? `: ${why}` : ''}`,
  };
}

/** What a blocked status keeps from before: a restore that already ran keeps its record. */
function keep(previous: ConsistentRestoreStatus): ConsistentRestoreStatus {
  const { phase: _phase, message: _message, conditions: _conditions, ...rest } = previous;
  return rest;
}
