// Names of the ConsistentBackup API and of the labels and annotations the operator puts on Velero objects.

export const GROUP = 'consistentbackup.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'ConsistentBackup';
export const PLURAL = 'consistentbackups';
export const SHORT_NAME = 'cbk';

/** Written into app.kubernetes.io/managed-by of every object the operator creates. */
export const MANAGER_NAME = 'consistent-backup-operator';

/** Holds a ConsistentBackup until the Velero objects in the Velero namespace, which it cannot own, are cleaned up. */
export const FINALIZER = `${GROUP}/cleanup`;

/** Requests one extra backup now; each distinct value (token) runs once. */
export const RUN_NOW_ANNOTATION = `${GROUP}/run-now`;
/** On a run-now Backup: the token it was made for (annotations keep any text; labels could not). */
export const RUN_TOKEN_ANNOTATION = `${GROUP}/run-token`;

// Velero objects live in the Velero namespace, so owner references cannot point back to the ConsistentBackup:
// these labels do, and let the operator watch only its own objects.
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_OWNER_NAMESPACE = `${GROUP}/namespace`;
export const LABEL_OWNER_NAME = `${GROUP}/name`;
export const LABEL_OWNER_UID = `${GROUP}/uid`;
/** On a Backup: what made it (schedule | one-shot | run-now). */
export const LABEL_TRIGGER = `${GROUP}/trigger`;

export const VELERO_API_VERSION = 'velero.io/v1';
/** Velero's label on Backups made from a Schedule; also set on run-now Backups of scheduled ConsistentBackups. */
export const VELERO_SCHEDULE_NAME_LABEL = 'velero.io/schedule-name';

/** Velero leaves any object with this label set to "true" out of every backup. */
export const VELERO_EXCLUDE_FROM_BACKUP_LABEL = 'velero.io/exclude-from-backup';

// Velero's pod annotations for backup exec hooks. A pod whose command annotation for a phase is set runs
// that command instead of every spec hook of the phase; the unphased key is the legacy form of the pre one.
export const VELERO_PRE_HOOK_COMMAND_ANNOTATION = 'pre.hook.backup.velero.io/command';
export const VELERO_POST_HOOK_COMMAND_ANNOTATION = 'post.hook.backup.velero.io/command';
export const VELERO_LEGACY_HOOK_COMMAND_ANNOTATION = 'hook.backup.velero.io/command';
export const POLICY_PLURAL = 'consistentbackuppolicies';
