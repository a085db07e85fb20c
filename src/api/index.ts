export * from './constants.ts';
export type * from './consistent-backup.ts';
export type * from './consistent-backup-policy.ts';
export type * from './velero.ts';
export { VELERO_BACKUP_PHASES } from './velero.ts';
export type { ObjectMeta } from './object-meta.ts';
