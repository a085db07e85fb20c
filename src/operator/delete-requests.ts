import { createHash } from 'node:crypto';
import { VELERO_API_VERSION } from '../api/constants.ts';
import type { DeleteBackupRequest, VeleroBackup } from '../api/velero.ts';

/**
 * The DeleteBackupRequest for a backup. Its name is derived from the backup's, so asking twice (a retry, a
 * restarted operator) finds the first request instead of making a second.
 */
export function deleteRequestFor(backup: VeleroBackup, labels: Record<string, string>): DeleteBackupRequest {
  const backupName = backup.metadata.name ?? '';
  const digest = createHash('sha256').update(backupName).digest('hex').slice(0, 8);
  return {
    apiVersion: VELERO_API_VERSION,
    kind: 'DeleteBackupRequest',
    metadata: {
      name: `${backupName.slice(0, 200)}-delete-${digest}`,
      namespace: backup.metadata.namespace,
      // Velero's own requests carry these labels; `velero backup describe` lists deletion attempts by them.
      labels: {
        ...labels,
        'velero.io/backup-name': backupName.slice(0, 63),
        'velero.io/backup-uid': backup.metadata.uid ?? '',
      },
    },
    spec: { backupName },
  };
}
