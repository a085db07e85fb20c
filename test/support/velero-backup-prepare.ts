// What Velero's backup controller writes into a Backup when it picks it up (prepareBackupRequest in
// pkg/controller/backup_controller.go): defaults in the SPEC, the storage-location label, cluster-version
// annotations, and the validation that ends in FailedValidation. Pure: the caller supplies the cluster state.
import { createHash } from 'node:crypto';
import { parseGoDuration, isZeroGoDuration } from './go-duration.ts';
import { usesOldResourceFilters } from './velero-selection.ts';
import {
  LABEL_STORAGE_LOCATION,
  metaTime,
  type BackupSpec,
  type VeleroBackup,
  type VeleroStorageLocation,
} from './velero-types.ts';

/** Velero server defaults (pkg/cmd/server/config). */
export const DEFAULT_TTL = '720h0m0s';
export const DEFAULT_CSI_SNAPSHOT_TIMEOUT = '10m0s';
export const DEFAULT_ITEM_OPERATION_TIMEOUT = '4h0m0s';
const DEFAULT_RESOURCE_TIMEOUT = '10m0s';
const DEFAULT_VGS_LABEL_KEY = 'velero.io/volume-group';
const BACKUP_VERSION = 1;
const BACKUP_FORMAT_VERSION = '1.1.0';
const VOLUME_SNAPSHOTS = 'volumesnapshots.snapshot.storage.k8s.io';
const VOLUME_SNAPSHOT_CONTENTS = 'volumesnapshotcontents.snapshot.storage.k8s.io';

/** label.GetValidName: names longer than 63 characters are cut to 57 plus 6 hex digits of their sha256. */
export function validLabelValue(name: string): string {
  if (name.length <= 63) return name;
  return name.slice(0, 57) + createHash('sha256').update(name).digest('hex').slice(0, 6);
}

export interface ClusterFacts {
  storageLocations: VeleroStorageLocation[];
  /** Namespaces labelled velero.io/exclude-from-backup=true. */
  namespacesExcludedByLabel: string[];
  serverVersion: { gitVersion: string; major: string; minor: string };
  /** The server's --default-backup-storage-location (Velero's default: "default"). */
  defaultLocation: string;
  now: Date;
}

export interface PreparedBackup {
  /** The merge patch Velero sends when moving the Backup out of ReadyToStart. */
  patch: { metadata: object; spec: Partial<BackupSpec>; status: object };
  spec: BackupSpec;
  validationErrors: string[];
}

/** collections.ValidateIncludesExcludes. */
function includeExcludeErrors(includes: string[] = [], excludes: string[] = []): string[] {
  const errors: string[] = [];
  if (new Set(includes).size > 1 && includes.includes('*')) {
    errors.push("includes list must either contain '*' only, or a non-empty list of items");
  }
  if (excludes.includes('*')) errors.push("excludes list cannot contain '*'");
  for (const item of [...new Set(excludes)].sort()) {
    if (includes.includes(item))
      errors.push(`excludes list cannot contain an item in the includes list: ${item}`);
  }
  return errors;
}

/** modifyResourceIncludeExclude: Velero always excludes the CSI snapshot intermediates it creates itself. */
function withAutoExcludes(include: string[] | undefined, exclude: string[] | undefined, added: string[]) {
  const excluded = [...(exclude ?? []), ...added.filter((a) => !(exclude ?? []).includes(a))];
  return { include: include?.filter((i) => !excluded.includes(i)), exclude: excluded };
}

function storageLocationErrors(spec: BackupSpec, serverSpecified: boolean, facts: ClusterFacts): string[] {
  const name = spec.storageLocation ?? '';
  const location = facts.storageLocations.find((l) => l.metadata.name === name);
  if (!location) {
    const notFound = `backupstoragelocations.velero.io "${name}" not found`;
    return serverSpecified
      ? [
          `an existing backup storage location was not specified at backup creation time and the server default ${name} does not exist. Please address this issue (see \`velero backup-location -h\` for options) and create a new backup. Error: ${notFound}`,
        ]
      : [
          `an existing backup storage location was not specified at backup creation time and the default ${name} was not found. Please address this issue (see \`velero backup-location -h\` for options) and create a new backup. Error: ${notFound}`,
        ];
  }
  const errors: string[] = [];
  if (location.spec.accessMode === 'ReadOnly') {
    errors.push(
      `backup can't be created because backup storage location ${name} is currently in read-only mode`,
    );
  }
  if (location.status?.phase !== 'Available') {
    errors.push(`backup can't be created because BackupStorageLocation ${name} is in Unavailable status.`);
  }
  return errors;
}

export function prepareBackup(backup: VeleroBackup, facts: ClusterFacts): PreparedBackup {
  const original = backup.spec ?? {};
  const spec: BackupSpec = structuredClone(original);
  if (isZeroGoDuration(spec.ttl)) spec.ttl = DEFAULT_TTL;
  spec.volumeGroupSnapshotLabelKey ||= DEFAULT_VGS_LABEL_KEY;
  if (isZeroGoDuration(spec.csiSnapshotTimeout)) spec.csiSnapshotTimeout = DEFAULT_CSI_SNAPSHOT_TIMEOUT;
  if (isZeroGoDuration(spec.itemOperationTimeout)) spec.itemOperationTimeout = DEFAULT_ITEM_OPERATION_TIMEOUT;
  spec.defaultVolumesToFsBackup ??= false;
  spec.snapshotMoveData ??= false;

  const serverSpecified = !spec.storageLocation;
  if (serverSpecified) {
    spec.storageLocation =
      facts.storageLocations.find((l) => l.spec.default)?.metadata.name ?? facts.defaultLocation;
  }
  const validationErrors = storageLocationErrors(spec, serverSpecified, facts);

  if (facts.namespacesExcludedByLabel.length > 0) {
    spec.excludedNamespaces = [...(spec.excludedNamespaces ?? []), ...facts.namespacesExcludedByLabel];
  }
  const newFilters = [
    spec.includedClusterScopedResources,
    spec.excludedClusterScopedResources,
    spec.includedNamespaceScopedResources,
    spec.excludedNamespaceScopedResources,
  ].some((list) => (list?.length ?? 0) > 0);
  if (usesOldResourceFilters(spec) && newFilters) {
    validationErrors.push(
      'include-resources, exclude-resources and include-cluster-resources are old filter parameters.\n' +
        'include-cluster-scoped-resources, exclude-cluster-scoped-resources, include-namespace-scoped-resources and exclude-namespace-scoped-resources are new filter parameters.\n' +
        'They cannot be used together',
    );
  }
  if (usesOldResourceFilters(spec)) {
    const errors = includeExcludeErrors(spec.includedResources, spec.excludedResources);
    validationErrors.push(...errors.map((e) => `Invalid included/excluded resource lists: ${e}`));
    if (errors.length === 0) {
      const r = withAutoExcludes(spec.includedResources, spec.excludedResources, [
        VOLUME_SNAPSHOTS,
        VOLUME_SNAPSHOT_CONTENTS,
      ]);
      [spec.includedResources, spec.excludedResources] = [r.include, r.exclude];
    }
  } else {
    const cluster = withAutoExcludes(
      spec.includedClusterScopedResources,
      spec.excludedClusterScopedResources,
      [VOLUME_SNAPSHOT_CONTENTS],
    );
    [spec.includedClusterScopedResources, spec.excludedClusterScopedResources] = [
      cluster.include,
      cluster.exclude,
    ];
    const ns = withAutoExcludes(
      spec.includedNamespaceScopedResources,
      spec.excludedNamespaceScopedResources,
      [VOLUME_SNAPSHOTS],
    );
    [spec.includedNamespaceScopedResources, spec.excludedNamespaceScopedResources] = [ns.include, ns.exclude];
  }
  if (!spec.includedNamespaces?.length) spec.includedNamespaces = ['*'];
  validationErrors.push(
    ...includeExcludeErrors(spec.includedNamespaces, spec.excludedNamespaces).map(
      (e) => `Invalid included/excluded namespace lists: ${e}`,
    ),
  );
  if (spec.orLabelSelectors && spec.labelSelector) {
    validationErrors.push(
      'encountered labelSelector as well as orLabelSelectors in backup spec, only one can be specified',
    );
  }

  const changedSpec = Object.fromEntries(
    Object.entries(spec).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(original[key])),
  );
  const failed = validationErrors.length > 0;
  const { gitVersion, major, minor } = facts.serverVersion;
  return {
    spec,
    validationErrors,
    patch: {
      metadata: {
        labels: { [LABEL_STORAGE_LOCATION]: validLabelValue(spec.storageLocation ?? '') },
        annotations: {
          'velero.io/source-cluster-k8s-gitversion': gitVersion,
          'velero.io/source-cluster-k8s-major-version': major,
          'velero.io/source-cluster-k8s-minor-version': minor,
          'velero.io/resource-timeout': DEFAULT_RESOURCE_TIMEOUT,
        },
      },
      spec: changedSpec,
      status: {
        version: BACKUP_VERSION,
        formatVersion: BACKUP_FORMAT_VERSION,
        expiration: metaTime(new Date(facts.now.getTime() + parseGoDuration(spec.ttl ?? DEFAULT_TTL))),
        phase: failed ? 'FailedValidation' : 'InProgress',
        ...(failed ? { validationErrors } : { startTimestamp: metaTime(facts.now) }),
      },
    },
  };
}
