// The slices of Velero v1 objects (pkg/apis/velero/v1) that the Velero stand-in reads and writes. Unknown fields
// are kept as they are: the stand-in must never drop what a client wrote.
import type { V1LabelSelector, V1ObjectMeta } from '@kubernetes/client-node';

export const VELERO_GROUP = 'velero.io';
export const VELERO_VERSION = 'v1';

export const LABEL_STORAGE_LOCATION = 'velero.io/storage-location';
export const LABEL_SCHEDULE_NAME = 'velero.io/schedule-name';
export const LABEL_BACKUP_NAME = 'velero.io/backup-name';
export const LABEL_BACKUP_UID = 'velero.io/backup-uid';
export const LABEL_EXCLUDE_FROM_BACKUP = 'velero.io/exclude-from-backup';

export interface VeleroObject {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta & { name: string };
}

export type HookErrorMode = 'Continue' | 'Fail';

export interface ExecHook {
  container?: string;
  command: string[];
  onError?: HookErrorMode;
  timeout?: string;
}

export interface BackupResourceHookSpec {
  name: string;
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  labelSelector?: V1LabelSelector;
  pre?: { exec: ExecHook }[];
  post?: { exec: ExecHook }[];
}

export interface BackupSpec {
  metadata?: { labels?: Record<string, string> };
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  includeClusterResources?: boolean | null;
  includedClusterScopedResources?: string[];
  excludedClusterScopedResources?: string[];
  includedNamespaceScopedResources?: string[];
  excludedNamespaceScopedResources?: string[];
  labelSelector?: V1LabelSelector | null;
  orLabelSelectors?: V1LabelSelector[] | null;
  storageLocation?: string;
  ttl?: string;
  csiSnapshotTimeout?: string;
  itemOperationTimeout?: string;
  defaultVolumesToFsBackup?: boolean;
  snapshotMoveData?: boolean;
  volumeGroupSnapshotLabelKey?: string;
  hooks?: { resources?: BackupResourceHookSpec[] };
  [field: string]: unknown;
}

export type BackupPhase =
  | 'New'
  | 'Queued'
  | 'ReadyToStart'
  | 'FailedValidation'
  | 'InProgress'
  | 'WaitingForPluginOperations'
  | 'WaitingForPluginOperationsPartiallyFailed'
  | 'Finalizing'
  | 'FinalizingPartiallyFailed'
  | 'Completed'
  | 'PartiallyFailed'
  | 'Failed'
  | 'Deleting';

export interface BackupStatus {
  version?: number;
  formatVersion?: string;
  expiration?: string;
  phase?: BackupPhase;
  queuePosition?: number;
  validationErrors?: string[];
  startTimestamp?: string;
  completionTimestamp?: string;
  failureReason?: string;
  warnings?: number;
  errors?: number;
  progress?: { totalItems?: number; itemsBackedUp?: number };
  hookStatus?: { hooksAttempted?: number; hooksFailed?: number };
  [field: string]: unknown;
}

export interface VeleroBackup extends VeleroObject {
  spec?: BackupSpec;
  status?: BackupStatus;
}

export interface VeleroSchedule extends VeleroObject {
  spec: {
    schedule: string;
    template: BackupSpec;
    paused?: boolean;
    skipImmediately?: boolean;
    useOwnerReferencesInBackup?: boolean;
  };
  status?: {
    phase?: 'New' | 'Enabled' | 'FailedValidation';
    validationErrors?: string[];
    lastBackup?: string;
    lastSkipped?: string;
  };
}

export type StorageLocationPhase = 'Available' | 'Unavailable';

export interface VeleroStorageLocation extends VeleroObject {
  spec: {
    provider: string;
    objectStorage: { bucket: string; prefix?: string };
    default?: boolean;
    accessMode?: 'ReadWrite' | 'ReadOnly';
    [field: string]: unknown;
  };
  status?: { phase?: StorageLocationPhase; lastValidationTime?: string; message?: string };
}

export interface VeleroDeleteBackupRequest extends VeleroObject {
  spec: { backupName: string };
  status?: { phase?: 'New' | 'InProgress' | 'Processed'; errors?: string[] | null };
}

export type DownloadTargetKind = 'BackupLog' | 'BackupResults' | 'BackupResourceList' | (string & {});

export interface VeleroDownloadRequest extends VeleroObject {
  spec: { target: { kind: DownloadTargetKind; name: string } };
  status?: { phase?: 'New' | 'Processed'; downloadURL?: string; expiration?: string };
}

/** metav1.Time serialises with second precision. */
export function metaTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
