// Which pods a ConsistentBackup's Velero Backup includes. It matters for hooks: Velero runs hooks only in
// pods it backs up, so a hook whose pods the backup leaves out never runs, and Velero does not say so.
import type { ConsistentBackup } from '../api/consistent-backup.ts';
import { matchesSelector } from './label-selector.ts';

// Names Velero resolves to pods.
const POD_RESOURCE_NAMES = new Set(['pods', 'pod', 'po', '*']);

/** The spec field that leaves every pod out of the backup, if one does. */
export function podsLeftOutBy(
  cr: ConsistentBackup,
): 'spec.includedResources' | 'spec.excludedResources' | undefined {
  const included = cr.spec.includedResources ?? [];
  if (included.length > 0 && !included.some((r) => POD_RESOURCE_NAMES.has(r)))
    return 'spec.includedResources';
  if ((cr.spec.excludedResources ?? []).some((r) => POD_RESOURCE_NAMES.has(r)))
    return 'spec.excludedResources';
  return undefined;
}

/** Whether the backup's own label selector keeps a pod with these labels (resources aside). */
export function backupSelectorKeeps(cr: ConsistentBackup, labels: Readonly<Record<string, string>>): boolean {
  return cr.spec.labelSelector === undefined || matchesSelector(labels, cr.spec.labelSelector);
}
