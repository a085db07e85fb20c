import { KubeRest, resourcePath } from '../../src/core/kube-rest.ts';
import { applyNamespace } from '../../src/local-cluster/apply.ts';
import { wrapControlPlane, type ControlPlane } from './control-plane.ts';
import {
  startVeleroEnvironment,
  type ExecRule,
  type VeleroEnvironment,
} from '../../src/local-cluster/velero-environment.ts';
import './exit-on-signal.ts';

export type { ExecRule, VeleroEnvironment };

/** Starts the real Velero environment for one test file (see src/local-cluster/velero-environment.ts). */
export function startVeleroEnv(): Promise<VeleroEnvironment> {
  return startVeleroEnvironment();
}

/**
 * The environment's control plane as the other harness helpers take it (e.g. operatorKubeconfig, audit log
 * readers); its `stop` stops the whole environment.
 */
export function controlPlaneOf(env: VeleroEnvironment): ControlPlane {
  return wrapControlPlane(env.controlPlane, env.kubeConfig, () => env.stop());
}

export interface PodOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Container names (default: one container `db`). */
  containers?: string[];
  /** The pod's exec rule; without one, nothing can be exec'd in the pod. */
  exec?: ExecRule;
}

const pods = (namespace: string) => ({ apiVersion: 'v1', plural: 'pods', namespace });

/** Creates the namespace unless it exists. */
export async function ensureNamespace(env: VeleroEnvironment, name: string): Promise<void> {
  await applyNamespace(new KubeRest(env.kubeConfig), name);
}

/**
 * A pod on the kwok node, returned once it is Running and, when it has an exec rule, once exec works in it,
 * so Velero's hooks and the test's own execs find it in place.
 */
export async function startPod(
  env: VeleroEnvironment,
  namespace: string,
  name: string,
  opts: PodOptions = {},
): Promise<void> {
  const rest = new KubeRest(env.kubeConfig);
  await ensureNamespace(env, namespace);
  if (opts.exec) await env.execRule(namespace, name, opts.exec);
  const containers = opts.containers ?? ['db'];
  await rest.request('POST', resourcePath(pods(namespace)), {
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels: opts.labels ?? {}, annotations: opts.annotations ?? {} },
      spec: {
        nodeName: env.nodeName,
        containers: containers.map((c) => ({ name: c, image: 'kwok.local/none' })),
      },
    },
  });
  await env.waitForPod(namespace, name, opts.exec ? { execContainer: containers[0]! } : {});
}
