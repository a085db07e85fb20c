// The ConsistentRestore and RestoreDrill types, written to match crds/consistentbackup.io_consistentrestores.yaml
// and crds/consistentbackup.io_restoredrills.yaml by hand (scripts/generate-api-types.ts handles one CRD; no drift test yet).
import type { Condition } from './consistent-backup.ts';
import type { ObjectMeta } from './object-meta.ts';

export const RESTORE_KIND = 'ConsistentRestore';
export const RESTORE_PLURAL = 'consistentrestores';
export const DRILL_KIND = 'RestoreDrill';
export const DRILL_PLURAL = 'restoredrills';

export interface PodSelector {
  matchLabels?: Record<string, string>;
}

export interface RestoreExecAction {
  command: string[];
  onError?: 'Continue' | 'Fail';
  execTimeout?: string;
  waitTimeout?: string;
  waitForReady?: boolean;
}

export interface RestoreHook {
  name: string;
  selector: PodSelector;
  container?: string;
  exec?: RestoreExecAction[];
  init?: { initContainers: Record<string, unknown>[]; timeout?: string };
}

export type CheckPresetName = 'postgresql' | 'mysql' | 'redis';

export interface RestoreCheck {
  name: string;
  selector: PodSelector;
  container?: string;
  preset?: { name: CheckPresetName; timeout?: string; parameters?: Record<string, string> };
  command?: string[];
  timeout?: string;
  waitTimeout?: string;
}

export type RestoreTarget = 'ScratchNamespace' | 'InPlace';

export interface ConsistentRestoreSpec {
  source: { consistentBackup: string; backup?: string };
  target?: RestoreTarget;
  hooks?: RestoreHook[];
  checks?: RestoreCheck[];
}

export type RestorePhase = 'Pending' | 'Invalid' | 'Refused' | 'Restoring' | 'Succeeded' | 'Failed';

export interface ConsistentRestoreStatus {
  observedGeneration?: number;
  phase?: RestorePhase;
  message?: string;
  veleroNamespace?: string;
  restoreName?: string;
  backupName?: string;
  recoveryPoint?: string;
  targetNamespace?: string;
  startTime?: string;
  completionTime?: string;
  duration?: string;
  durationSeconds?: number;
  veleroPhase?: string;
  hooks?: { expected?: number; attempted?: number; failed?: number };
  warnings?: number;
  errors?: number;
  conditions?: Condition[];
}

export interface ConsistentRestore {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec: ConsistentRestoreSpec;
  status?: ConsistentRestoreStatus;
}

export interface RestoreDrillSpec {
  consistentBackup: string;
  /** Cron (robfig syntax, like spec.schedule of a ConsistentBackup); unset: drills only on run-now. */
  schedule?: string;
  timeZone?: string;
  /** The recovery time objective: a drill's restore plus checks must finish within it. */
  rtoTarget?: string;
  hooks?: RestoreHook[];
  checks?: RestoreCheck[];
}

export interface DrillRecord {
  run: string;
  backupName?: string;
  recoveryPoint?: string;
  startTime?: string;
  result: 'Passed' | 'Failed';
  reason: string;
  rtoSeconds?: number;
}

export interface RestoreDrillStatus {
  observedGeneration?: number;
  /** The ConsistentRestore of the drill running now. */
  currentRun?: string;
  nextDrillTime?: string;
  lastScheduledTime?: string;
  processedRunTokens?: string[];
  verification?: {
    lastVerifiedRecoveryPoint?: string;
    lastVerifiedBackup?: string;
    lastDrillTime?: string;
    result?: 'Passed' | 'Failed';
    reason?: string;
    message?: string;
    rto?: { target?: string; lastSeconds?: number; last?: string; worstSeconds?: number; worst?: string };
  };
  history?: DrillRecord[];
  conditions?: Condition[];
}

export interface RestoreDrill {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec: RestoreDrillSpec;
  status?: RestoreDrillStatus;
}
