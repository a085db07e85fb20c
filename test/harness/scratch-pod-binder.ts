// The local environment has no kube-scheduler, and Velero clears spec.nodeName of every pod it restores
// (pkg/restore/actions/pod_action.go), so restored pods would stay Pending. This binds each unscheduled pod of
// a scratch namespace to the kwok node, as a scheduler would, after giving it the exec rule the test wants
// (kwok exec rules are per namespace and pod name, and scratch namespaces are named by the operator).
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeRest, resourcePath } from '../../src/core/kube-rest.ts';
import { SCRATCH_SELECTOR } from '../../src/domain/restore/index.ts';
import type { ExecRule, VeleroEnvironment } from './velero-env.ts';

interface PodList {
  items: { metadata: { name: string; namespace: string }; spec?: { nodeName?: string } }[];
}

const POLL_MS = 200;
/** kwok reads exec rules from a watch: give it a moment before the pod can run and be exec'd. */
const RULE_SETTLE_MS = 300;

export class ScratchPodBinder {
  private stopped = false;
  private readonly loop: Promise<void>;
  /** `namespace/pod` of every pod bound, in order. */
  readonly bound: string[] = [];

  constructor(
    private readonly env: VeleroEnvironment,
    /** The exec rule of a restored pod (by its scratch namespace and name), or none. */
    private readonly ruleFor: (namespace: string, pod: string) => ExecRule | undefined,
  ) {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const rest = new KubeRest(this.env.kubeConfig);
    while (!this.stopped) {
      try {
        const namespaces = await rest.request<{ items: { metadata: { name: string } }[] }>(
          'GET',
          resourcePath({ apiVersion: 'v1', plural: 'namespaces' }),
          { query: { labelSelector: SCRATCH_SELECTOR } },
        );
        for (const { metadata } of namespaces.items) {
          const pods = await rest.request<PodList>(
            'GET',
            resourcePath({ apiVersion: 'v1', plural: 'pods', namespace: metadata.name }),
            { query: { fieldSelector: 'spec.nodeName=' } },
          );
          for (const pod of pods.items) await this.bind(rest, pod.metadata.namespace, pod.metadata.name);
        }
      } catch {
        // A namespace being deleted, a pod gone meanwhile: the next round sees the new state.
      }
      await sleep(POLL_MS);
    }
  }

  private async bind(rest: KubeRest, namespace: string, name: string): Promise<void> {
    const rule = this.ruleFor(namespace, name);
    if (rule) {
      await this.env.execRule(namespace, name, rule);
      await sleep(RULE_SETTLE_MS);
    }
    await rest.request(
      'POST',
      `${resourcePath({ apiVersion: 'v1', plural: 'pods', namespace }, name)}/binding`,
      {
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace },
          target: { apiVersion: 'v1', kind: 'Node', name: this.env.nodeName },
        },
      },
    );
    this.bound.push(`${namespace}/${name}`);
  }
}
