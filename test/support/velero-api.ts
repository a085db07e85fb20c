// Velero's objects through the Kubernetes API, the way the Velero server touches them: JSON merge patches on
// the main resource (these CRDs have no status subresource), no resourceVersion precondition, and the field
// manager the API server derives from Velero's user agent ("velero-server/<version> ...").
import {
  ApiException,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { VELERO_GROUP, VELERO_VERSION, type VeleroObject } from './velero-types.ts';

export const VELERO_FIELD_MANAGER = 'velero-server';

export type VeleroPlural =
  | 'backups'
  | 'schedules'
  | 'backupstoragelocations'
  | 'deletebackuprequests'
  | 'downloadrequests'
  | 'restores';

export const isNotFound = (err: unknown): boolean => err instanceof ApiException && err.code === 404;
export const isConflict = (err: unknown): boolean => err instanceof ApiException && err.code === 409;

export class VeleroApi {
  private readonly custom: CustomObjectsApi;

  constructor(
    kubeConfig: KubeConfig,
    readonly namespace: string,
  ) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  private ref(plural: VeleroPlural) {
    return { group: VELERO_GROUP, version: VELERO_VERSION, namespace: this.namespace, plural };
  }

  path(plural: VeleroPlural): string {
    return `/apis/${VELERO_GROUP}/${VELERO_VERSION}/namespaces/${this.namespace}/${plural}`;
  }

  async list<T extends VeleroObject>(
    plural: VeleroPlural,
    labelSelector?: string,
  ): Promise<{ metadata?: { resourceVersion?: string }; items: T[] }> {
    return (await this.custom.listNamespacedCustomObject({ ...this.ref(plural), labelSelector })) as {
      metadata?: { resourceVersion?: string };
      items: T[];
    };
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends VeleroObject>(plural: VeleroPlural, name: string): Promise<T | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...this.ref(plural), name })) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create<T extends VeleroObject>(plural: VeleroPlural, body: T): Promise<T> {
    return (await this.custom.createNamespacedCustomObject({
      ...this.ref(plural),
      body,
      fieldManager: VELERO_FIELD_MANAGER,
    })) as T;
  }

  /** A JSON merge patch (null deletes a field); undefined when the object is gone. */
  async mergePatch<T extends VeleroObject>(
    plural: VeleroPlural,
    name: string,
    patch: object,
  ): Promise<T | undefined> {
    try {
      return (await this.custom.patchNamespacedCustomObject(
        { ...this.ref(plural), name, body: patch, fieldManager: VELERO_FIELD_MANAGER },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Deletes the object; false when it was already gone. */
  async delete(plural: VeleroPlural, name: string): Promise<boolean> {
    try {
      await this.custom.deleteNamespacedCustomObject({ ...this.ref(plural), name });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
