// Names of the Velero objects of a ConsistentBackup. They live together in the Velero namespace, so they must
// be unique across namespaces, and the same on every computation: a restarted operator finds the object it
// already created instead of making a second one.
import { createHash } from 'node:crypto';

export interface OwnerIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** Velero names a scheduled Backup `<schedule>-YYYYMMDDhhmmss`, and Backup names end up in 63-character labels. */
export const MAX_SCHEDULE_NAME_LENGTH = 63 - '-YYYYMMDDhhmmss'.length;
const OWNER_HASH_LENGTH = 12;
/**
 * Every Velero object name the operator makes (and so every Backup Velero makes from its Schedules) starts
 * with this: deploy/admission/operator-fence.yaml lets the operator's identity delete only backups named so.
 */
export const VELERO_NAME_PREFIX = 'cbo-';
const TOKEN_HASH_LENGTH = 10;

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** `cbo-<namespace>-<name>` shortened for humans, plus a hash of namespace, name and uid for uniqueness. */
function baseName(owner: OwnerIdentity): string {
  const room = MAX_SCHEDULE_NAME_LENGTH - VELERO_NAME_PREFIX.length - OWNER_HASH_LENGTH - 1;
  const readable = `${owner.namespace}-${owner.name}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, room)
    .replace(/^-+|-+$/g, '');
  // The uid makes a re-created ConsistentBackup of the same name start afresh next to retained old backups.
  return `${VELERO_NAME_PREFIX}${readable || 'cbk'}-${hash(`${owner.namespace}/${owner.name}/${owner.uid}`, OWNER_HASH_LENGTH)}`;
}

export interface VeleroNames {
  readonly schedule: string;
  /** The single Backup of a ConsistentBackup without schedule. */
  readonly oneShotBackup: string;
  /** The Backup of one run-now token: `<base>-run-<hash>`, never a `<schedule>-<timestamp>` name. */
  runNowBackup(token: string): string;
}

export function veleroNames(owner: OwnerIdentity): VeleroNames {
  const base = baseName(owner);
  return {
    schedule: base,
    oneShotBackup: base,
    runNowBackup: (token) => `${base}-run-${hash(token, TOKEN_HASH_LENGTH)}`,
  };
}
