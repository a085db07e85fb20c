// Can Velero write the backups at all? A Backup to a location that is not Available, or is read-only, ends in
// FailedValidation: say so before it happens.
import type { BackupStorageLocation } from '../api/velero.ts';
import type { ConditionInput } from './conditions.ts';

export function storageCondition(
  locations: readonly BackupStorageLocation[],
  requested: string | undefined,
): ConditionInput {
  const type = 'StorageAvailable';
  const location = requested
    ? locations.find((l) => l.metadata.name === requested)
    : locations.find((l) => l.spec.default === true);
  if (!location) {
    return requested
      ? {
          type,
          status: 'False',
          reason: 'StorageLocationNotFound',
          message: `BackupStorageLocation "${requested}" does not exist`,
        }
      : {
          type,
          status: 'False',
          reason: 'NoDefaultStorageLocation',
          message: 'no BackupStorageLocation is marked default; set spec.velero.storageLocation',
        };
  }
  const name = location.metadata.name ?? '';
  if ((location.status?.accessMode ?? location.spec.accessMode) === 'ReadOnly') {
    return {
      type,
      status: 'False',
      reason: 'StorageLocationReadOnly',
      message: `BackupStorageLocation "${name}" is read-only`,
    };
  }
  switch (location.status?.phase) {
    case 'Available':
      return {
        type,
        status: 'True',
        reason: 'StorageLocationAvailable',
        message: `BackupStorageLocation "${name}" is available`,
      };
    case 'Unavailable':
      return {
        type,
        status: 'False',
        reason: 'StorageLocationUnavailable',
        message: `BackupStorageLocation "${name}" is unavailable${location.status.message ? `: ${location.status.message}` : ''}`,
      };
    default:
      return {
        type,
        status: 'Unknown',
        reason: 'StorageLocationNotValidated',
        message: `Velero has not validated BackupStorageLocation "${name}" yet`,
      };
  }
}
