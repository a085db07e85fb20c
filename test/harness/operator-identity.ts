import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import type { ControlPlane } from './control-plane.ts';

const deployDir = fileURLToPath(new URL('../../deploy/', import.meta.url));

/** Server-side applies the YAML documents of deploy/<file>, as `kubectl apply --server-side` would. */
export async function applyDeployFile(cp: Pick<ControlPlane, 'kubeConfig'>, file: string): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
  const docs = parseAllDocuments(await readFile(join(deployDir, file), 'utf8'));
  for (const doc of docs) {
    const obj = doc.toJS() as KubernetesObject | null;
    if (obj)
      await objects.patch(obj, undefined, undefined, 'test-harness', true, PatchStrategy.ServerSideApply);
  }
}

/**
 * Installs the operator's namespace, service account and RBAC from deploy/ exactly as shipped, and returns a
 * kubeconfig that authenticates as that service account (a bound token): tests run the operator with the
 * permissions it would have in production, never as cluster-admin.
 */
export async function operatorKubeconfig(
  cp: Pick<ControlPlane, 'kubeConfig' | 'dir' | 'server'>,
): Promise<string> {
  for (const file of ['namespace.yaml', 'service-account.yaml', 'rbac.yaml', 'rbac-restore.yaml'])
    await applyDeployFile(cp, file);
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const token = await core.createNamespacedServiceAccountToken({
    name: 'consistent-backup-operator',
    namespace: 'consistent-backup-system',
    body: { spec: { audiences: [], expirationSeconds: 24 * 3600 } },
  });
  const path = join(cp.dir, 'operator.kubeconfig');
  const cluster = cp.kubeConfig.getCurrentCluster();
  await writeFile(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server: cp.server, 'certificate-authority': cluster?.caFile } }],
      users: [{ name: 'operator', user: { token: token.status?.token } }],
      contexts: [{ name: 'operator', context: { cluster: 'local', user: 'operator' } }],
      'current-context': 'operator',
    }),
    { mode: 0o600 },
  );
  return path;
}
