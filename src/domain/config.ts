// What the domain needs from the operator's configuration (a subset of the CLI's OperatorOptions) and from the
// cluster admin's ConsistentBackupPolicy.
import type { Limits } from './limits.ts';

export interface OperatorConfig {
  /** Velero namespace used when a ConsistentBackup names none. */
  readonly veleroNamespace: string;
  /** Further Velero namespaces a ConsistentBackup may name (veleroNamespace is always allowed). */
  readonly allowedVeleroNamespaces?: readonly string[];
  /** The namespaces the operator serves (installed with Roles there); unset: every namespace. */
  readonly watchNamespaces?: readonly string[];
  /**
   * The ConsistentBackupPolicy's spec, or 'missing'. The reconciler always sets it; unset (unit tests of other
   * concerns) checks no limit.
   */
  readonly limits?: Limits;
}

export function isVeleroNamespaceAllowed(config: OperatorConfig, namespace: string): boolean {
  return namespace === config.veleroNamespace || (config.allowedVeleroNamespaces ?? []).includes(namespace);
}
