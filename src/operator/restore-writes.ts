// Every write of the restore controllers, in one place: create once (AlreadyExists means done), merge-patched
// status with the difference only, finalizers guarded by resourceVersion, and scratch namespaces deleted
// only when they carry this very restore's labels.
import type { KubeRest } from '../core/index.ts';
import {
  isConflict,
  isNotFound,
  resourcePath,
  withoutServerBookkeeping,
  type ResourceRef,
} from '../core/index.ts';
import { API_VERSION, VELERO_API_VERSION } from '../api/constants.ts';
import type { ObjectMeta } from '../api/object-meta.ts';
import type { VeleroRestore } from '../api/velero.ts';
import { mergePatch } from './merge-patch.ts';
import { FIELD_MANAGER } from './velero-writes.ts';

export interface NamespaceObject {
  metadata?: ObjectMeta;
}

interface Resource {
  metadata?: ObjectMeta;
  status?: object;
}

const namespaces: ResourceRef = { apiVersion: 'v1', plural: 'namespaces' };
const restores = (namespace: string): ResourceRef => ({
  apiVersion: VELERO_API_VERSION,
  plural: 'restores',
  namespace,
});

export class RestoreWrites {
  constructor(private readonly rest: KubeRest) {}

  async createRestore(restore: VeleroRestore): Promise<VeleroRestore | 'existed'> {
    try {
      return await this.rest.request<VeleroRestore>(
        'POST',
        resourcePath(restores(restore.metadata.namespace ?? '')),
        { body: restore, query: { fieldManager: FIELD_MANAGER } },
      );
    } catch (err) {
      if (isConflict(err)) return 'existed';
      throw err;
    }
  }

  async deleteRestore(namespace: string, name: string): Promise<void> {
    try {
      await this.rest.request('DELETE', resourcePath(restores(namespace), name));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Creates the namespace with these labels; an existing one is returned as it is, for the caller to judge. */
  async createNamespace(name: string, labels: Record<string, string>): Promise<NamespaceObject> {
    try {
      return await this.rest.request<NamespaceObject>('POST', resourcePath(namespaces), {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } },
        query: { fieldManager: FIELD_MANAGER },
      });
    } catch (err) {
      if (!isConflict(err)) throw err;
      return this.rest.request<NamespaceObject>('GET', resourcePath(namespaces, name));
    }
  }

  async getNamespace(name: string): Promise<NamespaceObject | undefined> {
    try {
      return await this.rest.request<NamespaceObject>('GET', resourcePath(namespaces, name));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Deletes the namespace, guarded by its uid (a namespace re-created under the same name by someone else is
   * never deleted). Returns whether it is gone.
   */
  async deleteNamespace(namespace: NamespaceObject): Promise<boolean> {
    const name = namespace.metadata?.name ?? '';
    try {
      await this.rest.request('DELETE', resourcePath(namespaces, name), {
        body: { preconditions: { uid: namespace.metadata?.uid } },
      });
      return false;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  }

  patchStatus<T extends Resource>(
    plural: string,
    cr: T,
    status: NonNullable<T['status']>,
  ): Promise<T | undefined> {
    return patchStatusOf(this.rest, plural, cr, status);
  }

  setFinalizers<T extends Resource>(plural: string, cr: T, finalizers: string[]): Promise<T | undefined> {
    return setFinalizersOf(this.rest, plural, cr, finalizers);
  }

  /** Creates a namespaced custom object of our group once (a drill's run); AlreadyExists means done. */
  async createOnce(plural: string, object: Resource): Promise<void> {
    try {
      await this.rest.request(
        'POST',
        resourcePath({ apiVersion: API_VERSION, plural, namespace: object.metadata?.namespace ?? '' }),
        { body: object, query: { fieldManager: FIELD_MANAGER } },
      );
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }

  async deleteObject(plural: string, object: Resource): Promise<void> {
    try {
      await this.rest.request('DELETE', crPath(plural, object));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/**
 * Merge-patches the status subresource with the difference only; nothing is sent when nothing changed. Returns
 * the object as written (without server bookkeeping), or undefined when nothing was sent or it is gone.
 */
export async function patchStatusOf<T extends Resource>(
  rest: KubeRest,
  plural: string,
  cr: T,
  status: NonNullable<T['status']>,
): Promise<T | undefined> {
  const patch = mergePatch(cr.status ?? {}, status);
  if (patch === undefined) return undefined;
  try {
    const updated = await rest.request<T>('PATCH', `${crPath(plural, cr)}/status`, {
      body: { status: patch },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: FIELD_MANAGER },
    });
    return withoutServerBookkeeping(updated);
  } catch (err) {
    // Deleted since the cache was read: there is no status left to describe.
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Sets the finalizer list, guarded by the resourceVersion it was computed from: a concurrent change makes this
 * fail with a conflict and the reconcile retries on fresh data. An object already gone needs no finalizer.
 */
export async function setFinalizersOf<T extends Resource>(
  rest: KubeRest,
  plural: string,
  cr: T,
  finalizers: string[],
): Promise<T | undefined> {
  try {
    const updated = await rest.request<T>('PATCH', crPath(plural, cr), {
      body: { metadata: { finalizers, resourceVersion: cr.metadata?.resourceVersion } },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: FIELD_MANAGER },
    });
    return withoutServerBookkeeping(updated);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function crPath(plural: string, cr: Resource): string {
  return resourcePath(
    { apiVersion: API_VERSION, plural, namespace: cr.metadata?.namespace ?? '' },
    cr.metadata?.name ?? '',
  );
}
