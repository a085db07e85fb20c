// The domain's public API for the reconciler: pure functions, no I/O, time passed in.
export type { OperatorConfig } from './config.ts';
export type { Problem } from './problems.ts';
export { describeProblems } from './problems.ts';
export { desiredVeleroObjects, type DesiredBackup, type DesiredVeleroObjects } from './velero-objects.ts';
export { computeStatus, MAX_REQUEUE_MS, type ComputedStatus, type StatusInputs } from './status.ts';
export { validateConsistentBackup, type ValidatedConsistentBackup, type Validation } from './validation.ts';
export { veleroNames, MAX_SCHEDULE_NAME_LENGTH, type OwnerIdentity, type VeleroNames } from './names.ts';
export { ownerLabels, ownerOf, isOwnedBy, MANAGED_OBJECTS_SELECTOR } from './owner-labels.ts';
export { pendingRunToken, runNowToken } from './run-now.ts';
export { gradeBackup, declaresHooks, needsEvidence, type Grade } from './grading.ts';
export { summarizeEvidence, type VeleroRecords } from './evidence/backup-evidence.ts';
export { phaseStage, type PhaseStage } from './backup-phase.ts';
export { setCondition, removeCondition, findCondition, type ConditionInput } from './conditions.ts';
export { hookActions, type HookActions } from './hook-actions.ts';
export { summarizePod, type PodFields, type PodSummary } from './pod-summary.ts';
export {
  preflightHooks,
  HOOK_PROBLEM_REASONS,
  type HookPreflight,
  type HookProblem,
  type HookProblemReason,
  type Preflight,
} from './preflight.ts';
export { missingHookTargets, skipsBackups, type MissingHookTargets } from './missing-hook-targets.ts';
export { hookStatuses, hooksReadyCondition } from './hooks-ready.ts';
export { hookCommandsCondition } from './hook-commands.ts';
export { storageCondition } from './storage-location.ts';
export { keptByRetentionLock, POLICY_NAME, runNowWaitsUntil, type Limits } from './limits.ts';
