// Which backup a ConsistentRestore restores. Only a backup of a ConsistentBackup of the restore's own
// namespace qualifies: the Velero Backup must carry that very ConsistentBackup's owner labels, so a name
// typed by a tenant can never reach another namespace's backup.
import type { ConsistentBackup } from '../../api/consistent-backup.ts';
import type { ConsistentRestore } from '../../api/consistent-restore.ts';
import type { VeleroBackup } from '../../api/velero.ts';
import { isOwnedBy } from '../owner-labels.ts';

export type SourceResolution =
  | { ok: true; backup: VeleroBackup; recoveryPoint?: string }
  /** Refused: the restore may never run. Waiting: it may once the world changes (a first consistent backup). */
  | { ok: false; phase: 'Refused' | 'Pending'; reason: string; message: string };

const RESTORABLE = ['Completed', 'PartiallyFailed'];

export function resolveSource(
  cr: ConsistentRestore,
  consistentBackup: ConsistentBackup | undefined,
  /** Velero Backups of every watched Velero namespace (any owner). */
  backups: readonly VeleroBackup[],
): SourceResolution {
  const namespace = cr.metadata?.namespace ?? '';
  const cbName = cr.spec.source.consistentBackup;
  if (!consistentBackup) {
    return {
      ok: false,
      phase: 'Pending',
      reason: 'ConsistentBackupNotFound',
      message: `no ConsistentBackup ${cbName} in namespace ${namespace}`,
    };
  }
  const owner = {
    namespace,
    name: consistentBackup.metadata?.name ?? '',
    uid: consistentBackup.metadata?.uid ?? '',
  };
  const wanted = cr.spec.source.backup ?? consistentBackup.status?.lastConsistentBackup?.name;
  if (!wanted) {
    return {
      ok: false,
      phase: 'Pending',
      reason: 'NoConsistentBackup',
      message: `ConsistentBackup ${cbName} has no consistent backup yet`,
    };
  }
  const backup = backups.find((b) => b.metadata.name === wanted);
  if (!backup || !isOwnedBy(backup, owner)) {
    // The same answer whether the backup is another namespace's or does not exist: nothing is disclosed.
    return {
      ok: false,
      phase: 'Refused',
      reason: 'BackupNotOwned',
      message: `${wanted} is not a backup of ConsistentBackup ${namespace}/${cbName}`,
    };
  }
  if (!RESTORABLE.includes(backup.status?.phase ?? '')) {
    return {
      ok: false,
      phase: 'Refused',
      reason: 'BackupNotRestorable',
      message: `backup ${wanted} is ${backup.status?.phase || 'not finished'}; only Completed or PartiallyFailed backups restore`,
    };
  }
  return {
    ok: true,
    backup,
    ...(backup.status?.startTimestamp && { recoveryPoint: backup.status.startTimestamp }),
  };
}
