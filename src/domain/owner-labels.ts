// Velero objects cannot carry owner references to a ConsistentBackup in another namespace; these labels
// record the owner instead, and let the operator watch only the objects it manages.
import {
  LABEL_MANAGED_BY,
  LABEL_OWNER_NAME,
  LABEL_OWNER_NAMESPACE,
  LABEL_OWNER_UID,
  MANAGER_NAME,
} from '../api/constants.ts';
import type { OwnerIdentity } from './names.ts';

export function ownerLabels(owner: OwnerIdentity): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: MANAGER_NAME,
    [LABEL_OWNER_NAMESPACE]: owner.namespace,
    [LABEL_OWNER_NAME]: owner.name,
    [LABEL_OWNER_UID]: owner.uid,
  };
}

/** Label selector (list/watch syntax) for every Velero object the operator manages. */
export const MANAGED_OBJECTS_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGER_NAME}`;

/** The ConsistentBackup a Velero object belongs to, from its labels; undefined for objects not ours. */
export function ownerOf(object: {
  metadata?: { labels?: Record<string, string> };
}): OwnerIdentity | undefined {
  const labels = object.metadata?.labels ?? {};
  const [namespace, name, uid] = [
    labels[LABEL_OWNER_NAMESPACE],
    labels[LABEL_OWNER_NAME],
    labels[LABEL_OWNER_UID],
  ];
  if (labels[LABEL_MANAGED_BY] !== MANAGER_NAME || !namespace || !name || !uid) return undefined;
  return { namespace, name, uid };
}

/** Whether a Velero object belongs to this very ConsistentBackup (not an earlier one of the same name). */
export function isOwnedBy(
  object: { metadata?: { labels?: Record<string, string> } },
  owner: OwnerIdentity,
): boolean {
  const found = ownerOf(object);
  return found?.uid === owner.uid && found.namespace === owner.namespace && found.name === owner.name;
}
