import type { KubeConfig } from '@kubernetes/client-node';
import { KubeRest, resourcePath } from '../core/kube-rest.ts';
import { execInPod } from './pod-exec.ts';
import { waitFor } from './wait.ts';

/**
 * Waits until the pod is Running and, with `execContainer`, until an exec of `true` there succeeds: kwok reads
 * exec rules from a watch, so only a first exec proves the pod's rule is in place for Velero's hooks.
 */
export async function waitForPod(
  kc: KubeConfig,
  namespace: string,
  name: string,
  opts: { execContainer?: string } = {},
): Promise<void> {
  const rest = new KubeRest(kc);
  const path = resourcePath({ apiVersion: 'v1', plural: 'pods', namespace }, name);
  await waitFor(
    async () =>
      (await rest.request<{ status?: { phase?: string } }>('GET', path)).status?.phase === 'Running',
    { what: `pod ${namespace}/${name} to be Running`, timeoutMs: 60_000, intervalMs: 200 },
  );
  const container = opts.execContainer;
  if (container === undefined) return;
  await waitFor(
    async () => (await execInPod(kc, namespace, name, container, ['true'])).status.status === 'Success',
    { what: `the exec rule of pod ${namespace}/${name}`, timeoutMs: 30_000, intervalMs: 200 },
  );
}
