import { execFile } from 'node:child_process';
import { cp as cp_, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { ensureNamespace } from '../support/fake-pods.ts';
import type { ControlPlane } from './control-plane.ts';
import { waitFor } from './wait.ts';

const deployDir = fileURLToPath(new URL('../../deploy/', import.meta.url));
const run = promisify(execFile);

export const OPERATOR_USER = 'system:serviceaccount:consistent-backup-system:consistent-backup-operator';

export interface InstallOptions {
  /** Install with deploy/namespaced/ enabled (Roles per namespace instead of a cluster-wide pod reader). */
  namespaced?: boolean;
}

/**
 * What `kubectl apply -k deploy/` installs, rendered by `kubectl kustomize` from deploy/ as shipped (with the
 * namespaced component enabled the way its comment says, when asked), without the Deployment: tests run the
 * operator as a child process instead.
 */
async function renderDeploy(
  cp: Pick<ControlPlane, 'dir'>,
  opts: InstallOptions,
): Promise<KubernetesObject[]> {
  let dir = deployDir;
  if (opts.namespaced) {
    dir = join(cp.dir, 'deploy');
    await cp_(deployDir, dir, { recursive: true });
    const file = join(dir, 'kustomization.yaml');
    const text = await readFile(file, 'utf8');
    const enabled = text.replace('# components:\n#   - namespaced', 'components:\n  - namespaced');
    if (enabled === text)
      throw new Error('deploy/kustomization.yaml no longer offers the namespaced component');
    await writeFile(file, enabled);
  }
  const { stdout } = await run('kubectl', ['kustomize', dir]);
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null && o.kind !== 'Deployment');
}

/**
 * Installs the operator's namespace, service account, RBAC, the ConsistentBackupPolicy and the admission
 * policies from deploy/ exactly as shipped, waits until the API server enforces the policies, and returns a
 * kubeconfig that authenticates as that service account (a bound token): tests run the operator with the
 * permissions it would have in production, never as cluster-admin.
 */
export async function operatorKubeconfig(
  cp: Pick<ControlPlane, 'kubeConfig' | 'dir' | 'server'>,
  opts: InstallOptions = {},
): Promise<string> {
  // deploy/ gives the operator a Role in the Velero namespace.
  await ensureNamespace(coreApi(cp), 'velero');
  const objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
  for (const obj of await renderDeploy(cp, opts)) {
    if (obj.metadata?.namespace) await ensureNamespace(coreApi(cp), obj.metadata.namespace);
    await objects.patch(obj, undefined, undefined, 'test-harness', true, PatchStrategy.ServerSideApply);
  }
  await waitForAdmissionPolicies(cp);
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

/**
 * The API server loads admission policies asynchronously (also after a restart, when it must find the
 * ConsistentBackupPolicy kind again before it can read the parameters): wait until a valid ConsistentBackup
 * passes a dry run and dry runs that each policy refuses are refused by it (a ConsistentBackup naming a storage
 * location the shipped policy does not allow, and, when Velero's CRDs are installed, a Velero Backup of
 * kube-system created as the operator).
 */
export async function waitForAdmissionPolicies(
  cp: Pick<ControlPlane, 'kubeConfig'>,
  timeoutMs = 30_000,
): Promise<void> {
  const custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
  const refusedBy = (policy: string) => (err: unknown) =>
    err instanceof ApiException && String(err.body).includes(`ValidatingAdmissionPolicy '${policy}'`);
  await ensureNamespace(coreApi(cp), 'admission-probe');
  const probe = (spec: Record<string, unknown>) =>
    custom.createNamespacedCustomObject({
      group: 'consistentbackup.io',
      version: 'v1alpha1',
      namespace: 'admission-probe',
      plural: 'consistentbackups',
      dryRun: 'All',
      body: {
        apiVersion: 'consistentbackup.io/v1alpha1',
        kind: 'ConsistentBackup',
        metadata: { name: 'probe' },
        spec,
      },
    });
  await waitFor(
    async () =>
      (await probe({}).then(
        () => true,
        () => false,
      )) &&
      probe({ velero: { storageLocation: 'not-allowed' } }).then(
        () => false,
        (err: unknown) =>
          refusedBy('consistentbackup-tenant')(err) &&
          /storageLocation/.test(String((err as ApiException<unknown>).body)),
      ),
    { what: 'the tenant admission policy to be enforced', timeoutMs },
  );
  await waitFor(
    () =>
      custom
        .createNamespacedCustomObject(
          {
            group: 'velero.io',
            version: 'v1',
            namespace: 'velero',
            plural: 'backups',
            dryRun: 'All',
            body: {
              apiVersion: 'velero.io/v1',
              kind: 'Backup',
              metadata: { name: 'probe' },
              spec: { includedNamespaces: ['kube-system'] },
            },
          },
          impersonate(OPERATOR_USER),
        )
        .then(
          () => false,
          // Without Velero's CRDs (a test of that case) there is nothing to fence yet.
          (err: unknown) =>
            refusedBy('consistentbackup-operator-fence')(err) ||
            (err instanceof ApiException && err.code === 404),
        ),
    { what: 'the operator fence admission policy to be enforced', timeoutMs },
  );
}

function coreApi(cp: Pick<ControlPlane, 'kubeConfig'>): CoreV1Api {
  return cp.kubeConfig.makeApiClient(CoreV1Api);
}

/**
 * Request options that make the admin act as `user` (kubectl --as). The API server gives an impersonated
 * service account its groups itself.
 */
export function impersonate(user: string) {
  return setHeaderOptions('Impersonate-User', user);
}
