// Names and labels of what a ConsistentRestore makes: the same on every computation, so a restarted operator
// finds the Velero Restore and scratch namespace it already made instead of making a second one.
import { createHash } from 'node:crypto';
import { GROUP, LABEL_MANAGED_BY, MANAGER_NAME } from '../../api/constants.ts';
import { ownerLabels } from '../owner-labels.ts';
import type { OwnerIdentity } from '../names.ts';

/** On a namespace the operator made to restore into; the only namespaces it ever deletes. */
export const LABEL_SCRATCH = `${GROUP}/scratch`;
/** On a scratch namespace: the namespace whose backup it holds (whose tenant may use it). */
export const LABEL_SCRATCH_FOR = `${GROUP}/restore-of`;
/** On a scratch namespace: the name of the ConsistentRestore it belongs to (names fit label values). */
export const LABEL_RESTORE_NAME = `${GROUP}/restore-name`;
/** On a scratch namespace and the Velero Restore: the uid of the ConsistentRestore they belong to. */
export const LABEL_RESTORE_UID = `${GROUP}/restore-uid`;
export const SCRATCH_SELECTOR = `${LABEL_SCRATCH}=true,${LABEL_MANAGED_BY}=${MANAGER_NAME}`;

const SCRATCH_INFIX = '-rst-';
const HASH_LENGTH = 10;

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
}

function readable(text: string, room: number): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, room)
    .replace(/^-+|-+$/g, '');
}

export interface RestoreNames {
  /** The Velero Restore (cbo- like every Velero object of the operator). */
  readonly veleroRestore: string;
  /** `<namespace>-rst-<hash>`: readable, unique per ConsistentRestore, at most 63 characters. */
  readonly scratchNamespace: string;
}

export function restoreNames(restore: OwnerIdentity): RestoreNames {
  const id = hash(`${restore.namespace}/${restore.name}/${restore.uid}`);
  const veleroRoom = 63 - 'cbo-r-'.length - HASH_LENGTH - 1;
  return {
    veleroRestore: `cbo-r-${readable(`${restore.namespace}-${restore.name}`, veleroRoom) || 'x'}-${id}`,
    scratchNamespace: `${readable(restore.namespace, 63 - SCRATCH_INFIX.length - HASH_LENGTH)}${SCRATCH_INFIX}${id}`,
  };
}

/** Labels of the scratch namespace: ours, whose data it holds, and which ConsistentRestore made it. */
export function scratchLabels(restore: OwnerIdentity): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: MANAGER_NAME,
    [LABEL_SCRATCH]: 'true',
    [LABEL_SCRATCH_FOR]: restore.namespace,
    [LABEL_RESTORE_NAME]: restore.name,
    [LABEL_RESTORE_UID]: restore.uid,
  };
}

/** Labels of the Velero Restore: the owner labels of a Velero object, naming the ConsistentRestore. */
export function veleroRestoreLabels(restore: OwnerIdentity): Record<string, string> {
  return { ...ownerLabels(restore), [LABEL_RESTORE_UID]: restore.uid };
}

/**
 * Whether a namespace is the scratch namespace of this very ConsistentRestore: a namespace of that name made
 * by anyone else (or for another restore) is never restored into or deleted.
 */
export function isScratchOf(
  namespace: { metadata?: { labels?: Record<string, string> } },
  restore: OwnerIdentity,
): boolean {
  const labels = namespace.metadata?.labels ?? {};
  return (
    labels[LABEL_SCRATCH] === 'true' &&
    labels[LABEL_MANAGED_BY] === MANAGER_NAME &&
    labels[LABEL_RESTORE_UID] === restore.uid &&
    labels[LABEL_SCRATCH_FOR] === restore.namespace
  );
}
