import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { VeleroEnvironment } from '../local-cluster/velero-environment.ts';

export interface ClusterConnection {
  kubeConfig: KubeConfig;
  /** Set when this process started its own playground (cluster and Velero); stop it on shutdown. */
  playground: VeleroEnvironment | undefined;
}

/** True when client-node would find real credentials: a kubeconfig file or an in-cluster service account. */
export function hasKubeconfig(explicitPath: string | undefined, env: NodeJS.ProcessEnv): boolean {
  if (explicitPath) return true;
  if (env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token'))
    return true;
  return existsSync(join(homedir(), '.kube', 'config'));
}

export function loadKubeConfig(explicitPath: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (explicitPath) kc.loadFromFile(explicitPath);
  else kc.loadFromDefault();
  return kc;
}
