// The ConsistentBackupPolicy types are generated from its CRD (crds/), the single source of truth for the schema.
export type * from './generated/consistentbackuppolicy.ts';
