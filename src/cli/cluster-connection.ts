import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { applyCrds, readCrds } from '../local-cluster/crds.ts';
import { LocalControlPlane } from '../local-cluster/control-plane.ts';

export interface ClusterConnection {
  kubeConfig: KubeConfig;
  /** Set when this process started its own control plane; stop it on shutdown. */
  localControlPlane: LocalControlPlane | undefined;
}

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

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

/**
 * A playground for `npm start` on a machine with no cluster: a local control plane with the CRDs
 * (ours and, where ../shared has them, Velero's), the Velero namespace, the ConsistentBackupPolicy of deploy/
 * and the example ConsistentBackup.
 */
export async function startLocalPlayground(
  veleroNamespace: string,
  log: (msg: string) => void,
): Promise<ClusterConnection> {
  log(
    'no kubeconfig found: starting a local control plane (the first run builds it from Go sources, a few minutes)',
  );
  const plane = await LocalControlPlane.start({ controllerManager: true });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(plane.kubeconfigPath);
  const veleroCrds = join(projectRoot, '..', 'shared', 'velero', 'crds');
  const crds = [...(await readCrds(join(projectRoot, 'crds')))];
  if (existsSync(veleroCrds)) crds.push(...(await readCrds(veleroCrds)));
  else log(`Velero CRDs not found at ${veleroCrds}: the operator will report that Velero is not installed`);
  await applyCrds(kubeConfig, crds, 'consistent-backup-playground');
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: veleroNamespace } } });
  await core.createNamespace({ body: { metadata: { name: 'demo' } } });
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  // The cluster admin's limits, as deploy/ ships them: without them the operator takes no backup.
  const docs = [join('deploy', 'policy.yaml'), join('examples', 'scheduled-postgresql.yaml')].flatMap(
    (file) => parseAllDocuments(readFileSync(join(projectRoot, file), 'utf8')),
  );
  for (const doc of docs) {
    const obj = doc.toJS() as KubernetesObject;
    if (obj.kind === 'ConsistentBackup') obj.metadata = { ...obj.metadata, namespace: 'demo' };
    await objects.patch(
      obj,
      undefined,
      undefined,
      'consistent-backup-playground',
      true,
      PatchStrategy.ServerSideApply,
    );
  }
  log(
    `local control plane ready; in another terminal:\n  export KUBECONFIG=${plane.kubeconfigPath}\n  kubectl get consistentbackups -A -w`,
  );
  return { kubeConfig, localControlPlane: plane };
}
