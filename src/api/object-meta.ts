import type { V1ObjectMeta } from '@kubernetes/client-node';

/**
 * Object metadata as it arrives for custom resources: client-node only turns timestamps into Date objects for
 * the built-in kinds it knows, so custom and Velero objects carry RFC 3339 strings.
 */
export type ObjectMeta = Omit<V1ObjectMeta, 'creationTimestamp' | 'deletionTimestamp'> & {
  creationTimestamp?: string;
  deletionTimestamp?: string;
};
