// Velero Backup phases grouped by what they mean for a ConsistentBackup.

export type PhaseStage = 'queued' | 'running' | 'finished' | 'deleting' | 'unknown';

const STAGES: Record<string, PhaseStage> = {
  // Empty: Velero has not looked at the Backup yet.
  '': 'queued',
  New: 'queued',
  Queued: 'queued',
  ReadyToStart: 'queued',
  InProgress: 'running',
  WaitingForPluginOperations: 'running',
  WaitingForPluginOperationsPartiallyFailed: 'running',
  Finalizing: 'running',
  FinalizingPartiallyFailed: 'running',
  Completed: 'finished',
  PartiallyFailed: 'finished',
  Failed: 'finished',
  FailedValidation: 'finished',
  Deleting: 'deleting',
};

/** A phase this Velero version does not know (a newer Velero's) is 'unknown', never guessed. */
export function phaseStage(phase: string | undefined): PhaseStage {
  return STAGES[phase ?? ''] ?? 'unknown';
}

/** Running phases whose name already tells the backup will end PartiallyFailed. */
export function isHeadingForPartialFailure(phase: string | undefined): boolean {
  return phase === 'WaitingForPluginOperationsPartiallyFailed' || phase === 'FinalizingPartiallyFailed';
}
