// Builders for the domain's unit tests: a ConsistentBackup as the API server would return it, and Velero
// Backups as Velero would report them.
import type {
  BackupEvidence,
  ConsistentBackup,
  ConsistentBackupSpec,
  Hook,
} from '../../src/api/consistent-backup.ts';
import type { VeleroBackup, VeleroBackupStatus, VeleroHookResource } from '../../src/api/velero.ts';
import type { ConsistentBackupPolicySpec } from '../../src/api/consistent-backup-policy.ts';
import type { OperatorConfig } from '../../src/domain/config.ts';
import { ownerLabels } from '../../src/domain/owner-labels.ts';
import type { PodSummary } from '../../src/domain/pod-summary.ts';

export const config: OperatorConfig = { veleroNamespace: 'velero' };
/** deploy/policy.yaml's limits. */
export const POLICY: ConsistentBackupPolicySpec = {
  minScheduleInterval: '1h',
  minRunNowInterval: '10m',
  maxHooks: 8,
  maxFreezeBudget: '10m',
  minRetention: '0s',
};
export const CREATED = '2025-06-01T00:00:00Z';

export function consistentBackup(
  spec: Partial<ConsistentBackupSpec> = {},
  meta: { namespace?: string; name?: string; uid?: string; annotations?: Record<string, string> } = {},
  status?: ConsistentBackup['status'],
): ConsistentBackup {
  return {
    apiVersion: 'consistentbackup.io/v1alpha1',
    kind: 'ConsistentBackup',
    metadata: {
      namespace: meta.namespace ?? 'shop',
      name: meta.name ?? 'orders-db',
      uid: meta.uid ?? '6f1c2e2a-0000-4000-8000-000000000001',
      generation: 3,
      creationTimestamp: CREATED,
      ...(meta.annotations && { annotations: meta.annotations }),
    },
    spec: { deletionPolicy: 'Retain', onMissingHookTarget: 'Proceed', suspend: false, ...spec },
    ...(status && { status }),
  };
}

export function hook(overrides: Partial<Hook> = {}): Hook {
  return {
    name: 'db',
    selector: { matchLabels: { app: 'orders-db' } },
    container: 'postgres',
    pre: [{ command: ['/bin/sh', '-c', 'psql -c CHECKPOINT'], timeout: '30s', onError: 'Fail' }],
    ...overrides,
  };
}

/** A running pod of namespace shop that the default hook() selects and can run in. */
export function pod(name: string, overrides: Partial<PodSummary> = {}): PodSummary {
  return {
    namespace: 'shop',
    name,
    labels: { app: 'orders-db' },
    phase: 'Running',
    containers: ['postgres', 'metrics'],
    excludedFromBackup: false,
    hookAnnotations: { pre: false, post: false },
    ...overrides,
  };
}

/** The hook resource veleroBackup() declares by default: hook db, one pre action in container postgres. */
export function hookResource(overrides: Partial<VeleroHookResource> = {}): VeleroHookResource {
  return {
    name: 'db',
    includedNamespaces: ['shop'],
    pre: [{ exec: { container: 'postgres', command: ['true'], onError: 'Fail' } }],
    ...overrides,
  };
}

/** A Backup of the given ConsistentBackup, in the given phase. */
export function veleroBackup(
  cr: ConsistentBackup,
  name: string,
  status: VeleroBackupStatus,
  opts: {
    created?: string;
    /** false: no hooks; an array: these hook resources; default: one hookResource(). */
    hooks?: boolean | VeleroHookResource[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  } = {},
): VeleroBackup {
  const { namespace = '', name: crName = '', uid = '' } = cr.metadata ?? {};
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: {
      name,
      namespace: 'velero',
      creationTimestamp: opts.created ?? status.startTimestamp ?? CREATED,
      labels: { ...ownerLabels({ namespace, name: crName, uid }), ...opts.labels },
      ...(opts.annotations && { annotations: opts.annotations }),
    },
    spec: {
      includedNamespaces: [namespace],
      ...(opts.hooks !== false && {
        hooks: {
          resources: Array.isArray(opts.hooks)
            ? opts.hooks
            : [hookResource({ includedNamespaces: [namespace] })],
        },
      }),
    },
    status,
  };
}

/** Velero's records of a backup as summarizeEvidence reports them: per hook [name, expected, attempted, failed]. */
export function evidence(
  hooks: readonly (readonly [string, number, number, number?])[],
  extra: Partial<BackupEvidence> = {},
): BackupEvidence {
  return {
    hooks: hooks.map(([name, expected, attempted, failed = 0]) => ({ name, expected, attempted, failed })),
    podsBackedUp: 1,
    ...extra,
  };
}
