// The ConsistentBackup types are generated from the CRD (crds/), the single source of truth for the schema.
export type * from './generated/consistentbackup.ts';
