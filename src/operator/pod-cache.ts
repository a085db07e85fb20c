// Pods, as preflight needs them: a summary per pod (labels, phase, container names, whether Velero hook
// annotations override the spec), never whole Pod objects.
import type { Informer, KubeObject, Manager } from '../core/index.ts';
import { summarizePod, type PodSummary } from '../domain/index.ts';

interface CachedPod extends KubeObject {
  summary: PodSummary;
}

export class PodCache {
  readonly informer: Informer<CachedPod>;

  constructor(manager: Manager) {
    this.informer = manager.informer<CachedPod>({
      resource: { apiVersion: 'v1', plural: 'pods' },
      name: 'pods (summaries)',
      transform: (pod): CachedPod => ({
        metadata: {
          name: pod.metadata?.name,
          namespace: pod.metadata?.namespace,
          resourceVersion: pod.metadata?.resourceVersion,
        },
        summary: summarizePod(pod),
      }),
    });
  }

  inNamespace(namespace: string): PodSummary[] {
    return this.informer.list(namespace).map((p) => p.summary);
  }
}
