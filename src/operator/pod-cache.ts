// Pods, as preflight needs them: a summary per pod (labels, phase, container names, whether Velero hook
// annotations override the spec), never whole Pod objects.
import type { KubeObject, Manager } from '../core/index.ts';
import { summarizePod, type PodFields, type PodSummary } from '../domain/index.ts';
import { TypedCache } from './typed-cache.ts';

interface CachedPod extends KubeObject {
  summary: PodSummary;
}

export class PodCache {
  readonly cache: TypedCache<CachedPod>;

  constructor(manager: Manager) {
    this.cache = new TypedCache(
      manager.informer({
        resource: { apiVersion: 'v1', plural: 'pods' },
        name: 'pods (summaries)',
        transform: (pod): CachedPod => ({
          metadata: {
            name: pod.metadata?.name,
            namespace: pod.metadata?.namespace,
            resourceVersion: pod.metadata?.resourceVersion,
          },
          summary: summarizePod(pod as PodFields),
        }),
      }),
    );
  }

  inNamespace(namespace: string): PodSummary[] {
    return this.cache.list(namespace).map((p) => p.summary);
  }
}
