// What the domain needs from the operator's configuration (a subset of the CLI's OperatorOptions).

export interface OperatorConfig {
  /** Velero namespace used when a ConsistentBackup names none. */
  readonly veleroNamespace: string;
  /** Further Velero namespaces a ConsistentBackup may name (veleroNamespace is always allowed). */
  readonly allowedVeleroNamespaces?: readonly string[];
  /** BackupStorageLocations a ConsistentBackup may name; empty or unset: any. */
  readonly allowedStorageLocations?: readonly string[];
}

export function isVeleroNamespaceAllowed(config: OperatorConfig, namespace: string): boolean {
  return namespace === config.veleroNamespace || (config.allowedVeleroNamespaces ?? []).includes(namespace);
}

export function isStorageLocationAllowed(config: OperatorConfig, location: string): boolean {
  const allowed = config.allowedStorageLocations ?? [];
  return allowed.length === 0 || allowed.includes(location);
}
