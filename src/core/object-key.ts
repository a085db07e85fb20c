/** The part of a Kubernetes object the core reads. Objects stay plain JSON as the API server sent them. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name ?? '';
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/**
 * A transform for informers that only need identity, labels and ownership (e.g. pods of a namespace): the
 * cache keeps this small copy instead of the whole object.
 */
export function metadataOnly(obj: KubeObject): KubeObject {
  const m = obj.metadata ?? {};
  const metadata: ObjectMeta = {};
  for (const field of metadataOnlyFields) {
    if (m[field] !== undefined) Object.assign(metadata, { [field]: m[field] });
  }
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata };
}

const metadataOnlyFields = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'deletionTimestamp',
  'creationTimestamp',
] as const satisfies readonly (keyof ObjectMeta)[];

/** kubectl's client-side apply record: a copy of the whole object as last applied. */
const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The object without what the API server and kubectl keep for their own bookkeeping (metadata.managedFields,
 * the last-applied-configuration annotation): often larger than the rest of the object, and read by no
 * reconcile. Returns `obj` itself when there is nothing to drop.
 */
export function withoutServerBookkeeping<T extends KubeObject>(obj: T): T {
  const meta: (ObjectMeta & { managedFields?: unknown }) | undefined = obj.metadata;
  const lastApplied = meta?.annotations?.[lastAppliedAnnotation] !== undefined;
  if (!meta || (meta.managedFields === undefined && !lastApplied)) return obj;
  // Rebuilt rather than `delete`d: objects with deleted properties are slower and larger in V8.
  const { managedFields: _managed, annotations, ...metadata } = meta;
  const { [lastAppliedAnnotation]: _applied, ...kept } = annotations ?? {};
  return { ...obj, metadata: { ...metadata, ...(Object.keys(kept).length > 0 && { annotations: kept }) } };
}
