// The domain of restores and restore drills: pure functions, time passed in.
export * from './names.ts';
export * from './source.ts';
export * from './velero-restore.ts';
export * from './status.ts';
export * from './drill.ts';
