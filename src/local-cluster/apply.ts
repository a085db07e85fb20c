import type { KubeRest } from '../core/kube-rest.ts';
import { resourcePath, type ResourceRef } from '../core/kube-rest.ts';

/** The field manager of everything the local environment installs. */
export const LOCAL_FIELD_MANAGER = 'consistent-backup-local';

/** Server-side applies one object (created or brought to this content), as `kubectl apply --server-side`. */
export async function applyObject<O extends { apiVersion: string; kind: string; metadata: { name: string } }>(
  rest: KubeRest,
  ref: ResourceRef,
  object: O,
  fieldManager = LOCAL_FIELD_MANAGER,
): Promise<unknown> {
  return rest.request('PATCH', resourcePath(ref, object.metadata.name), {
    body: object,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager, force: true },
  });
}

/** Creates the namespace unless it exists. */
export async function applyNamespace(rest: KubeRest, name: string): Promise<void> {
  await applyObject(
    rest,
    { apiVersion: 'v1', plural: 'namespaces' },
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    },
  );
}
