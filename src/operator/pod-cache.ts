// Pods, as preflight needs them: a summary per pod (labels, phase, container names, whether Velero hook
// annotations override the spec), never whole Pod objects. Cluster-wide, or one watch per namespace when the
// operator is installed for a list of namespaces (deploy/namespaced/: Roles, no cluster-wide pod reader).
import type { Informer, KubeObject, Manager } from '../core/index.ts';
import { summarizePod, type PodSummary } from '../domain/index.ts';

interface CachedPod extends KubeObject {
  summary: PodSummary;
}

export class PodCache {
  readonly informers: Informer<CachedPod>[];

  /** `namespaces`: watch only these; undefined: every namespace. */
  constructor(manager: Manager, namespaces?: readonly string[]) {
    const informer = (namespace?: string) =>
      manager.informer<CachedPod>({
        resource: { apiVersion: 'v1', plural: 'pods', ...(namespace && { namespace }) },
        name: `pods (summaries${namespace ? ` in ${namespace}` : ''})`,
        transform,
      });
    this.informers = namespaces ? namespaces.map(informer) : [informer()];
  }

  inNamespace(namespace: string): PodSummary[] {
    return this.informers.flatMap((i) => i.list(namespace)).map((p) => p.summary);
  }
}

function transform(pod: KubeObject): CachedPod {
  return {
    metadata: {
      name: pod.metadata?.name,
      namespace: pod.metadata?.namespace,
      resourceVersion: pod.metadata?.resourceVersion,
    },
    summary: summarizePod(pod),
  };
}
