// The parts of Velero's v1 objects the operator reads or writes, checked against Velero v1.18's CRDs
// (scripts/velero-crds.sh fetches them). Timestamps are RFC 3339 strings, as they arrive for custom resources.
import type { ObjectMeta } from './object-meta.ts';

export interface VeleroLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface VeleroExecHook {
  container?: string;
  command: string[];
  /** Velero treats an unset value as Continue (its docs say Fail), so the operator always sets it. */
  onError?: 'Continue' | 'Fail';
  timeout?: string;
}

export interface VeleroHookResource {
  name: string;
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  /** Matched against pod labels. */
  labelSelector?: VeleroLabelSelector;
  pre?: { exec: VeleroExecHook }[];
  post?: { exec: VeleroExecHook }[];
}

export interface VeleroBackupSpec {
  metadata?: { labels?: Record<string, string> };
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  includeClusterResources?: boolean;
  labelSelector?: VeleroLabelSelector;
  orLabelSelectors?: VeleroLabelSelector[];
  snapshotVolumes?: boolean;
  snapshotMoveData?: boolean;
  defaultVolumesToFsBackup?: boolean;
  storageLocation?: string;
  volumeSnapshotLocations?: string[];
  ttl?: string;
  hooks?: { resources?: VeleroHookResource[] };
  csiSnapshotTimeout?: string;
  itemOperationTimeout?: string;
}

export const VELERO_BACKUP_PHASES = [
  'New',
  'Queued',
  'ReadyToStart',
  'FailedValidation',
  'InProgress',
  'WaitingForPluginOperations',
  'WaitingForPluginOperationsPartiallyFailed',
  'Finalizing',
  'FinalizingPartiallyFailed',
  'Completed',
  'PartiallyFailed',
  'Failed',
  'Deleting',
] as const;
export type VeleroBackupPhase = (typeof VELERO_BACKUP_PHASES)[number];

export interface VeleroBackupStatus {
  /** A VeleroBackupPhase; empty until Velero first looks at the Backup; another value from a newer Velero. */
  phase?: string;
  startTimestamp?: string;
  /** Reset after asynchronous data-mover uploads: never the data's point in time. */
  completionTimestamp?: string;
  expiration?: string;
  errors?: number;
  warnings?: number;
  failureReason?: string;
  validationErrors?: string[];
  hookStatus?: { hooksAttempted?: number; hooksFailed?: number };
}

export interface VeleroBackup {
  apiVersion: 'velero.io/v1';
  kind: 'Backup';
  metadata: ObjectMeta;
  /** Velero writes defaults into the spec: create a Backup once, never update it. */
  spec: VeleroBackupSpec;
  /** No status subresource: Velero writes it through the main object. */
  status?: VeleroBackupStatus;
}

export interface VeleroScheduleSpec {
  /** robfig/cron ParseStandard syntax, optionally prefixed with `CRON_TZ=Area/City `. */
  schedule: string;
  template: VeleroBackupSpec;
  paused?: boolean;
  skipImmediately?: boolean;
  useOwnerReferencesInBackup?: boolean;
}

export interface VeleroScheduleStatus {
  phase?: 'New' | 'Enabled' | 'FailedValidation' | '';
  /** When Velero last created a Backup from it, not when one succeeded. */
  lastBackup?: string;
  lastSkipped?: string;
  validationErrors?: string[];
}

export interface VeleroSchedule {
  apiVersion: 'velero.io/v1';
  kind: 'Schedule';
  metadata: ObjectMeta;
  spec: VeleroScheduleSpec;
  status?: VeleroScheduleStatus;
}

export interface BackupStorageLocation {
  apiVersion: 'velero.io/v1';
  kind: 'BackupStorageLocation';
  metadata: ObjectMeta;
  spec: {
    provider: string;
    objectStorage: { bucket: string; prefix?: string };
    default?: boolean;
    accessMode?: 'ReadOnly' | 'ReadWrite';
  };
  status?: {
    phase?: 'Available' | 'Unavailable';
    accessMode?: 'ReadOnly' | 'ReadWrite';
    message?: string;
    lastValidationTime?: string;
  };
}

/** The only way to delete a backup's data: deleting the Backup object alone leaves the data (and sync brings it back). */
export interface DeleteBackupRequest {
  apiVersion: 'velero.io/v1';
  kind: 'DeleteBackupRequest';
  metadata: ObjectMeta;
  spec: { backupName: string };
  status?: { phase?: 'New' | 'InProgress' | 'Processed'; errors?: string[] };
}

/** What a DownloadRequest reads; the operator reads only these records, never a backup's contents. */
export type DownloadTargetKind = 'BackupLog' | 'BackupResults' | 'BackupResourceList';

/** Asks Velero for a short-lived URL of one record it stored with a backup. */
export interface DownloadRequest {
  apiVersion: 'velero.io/v1';
  kind: 'DownloadRequest';
  metadata: ObjectMeta;
  spec: { target: { kind: DownloadTargetKind; name: string } };
  status?: { phase?: 'New' | 'Processed'; downloadURL?: string; expiration?: string };
}

export interface VeleroRestoreExecHook {
  container?: string;
  command: string[];
  onError?: 'Continue' | 'Fail';
  execTimeout?: string;
  /** Unset means wait forever: the operator always sets it. */
  waitTimeout?: string;
  waitForReady?: boolean;
}

export interface VeleroRestoreHookResource {
  name: string;
  includedNamespaces?: string[];
  labelSelector?: VeleroLabelSelector;
  postHooks?: (
    | { exec: VeleroRestoreExecHook }
    | { init: { initContainers: Record<string, unknown>[]; timeout?: string } }
  )[];
}

export interface VeleroRestore {
  apiVersion: 'velero.io/v1';
  kind: 'Restore';
  metadata: ObjectMeta;
  spec: {
    backupName: string;
    includedNamespaces?: string[];
    namespaceMapping?: Record<string, string>;
    includeClusterResources?: boolean;
    restorePVs?: boolean;
    hooks?: { resources?: VeleroRestoreHookResource[] };
  };
  /** No status subresource: Velero writes it through the main object. */
  status?: {
    phase?: string;
    startTimestamp?: string;
    completionTimestamp?: string;
    warnings?: number;
    errors?: number;
    failureReason?: string;
    validationErrors?: string[];
    hookStatus?: { hooksAttempted?: number; hooksFailed?: number };
  };
}
