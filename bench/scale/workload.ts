// What the scale benchmark puts into the cluster: namespaces, a default BackupStorageLocation, scheduled
// ConsistentBackups with one hook each, pods that no hook selects; and how it clears them between runs.
import type { KubeRest } from '../../src/core/index.ts';
import { isConflict, isNotFound, resourcePath, type ResourceRef } from '../../src/core/index.ts';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';

export const NAMESPACES = 20;
export const namespaceOf = (i: number): string => `bench-${i % NAMESPACES}`;

const crs = (namespace: string): ResourceRef => ({
  apiVersion: 'consistentbackup.io/v1alpha1',
  plural: 'consistentbackups',
  namespace,
});
const bsls: ResourceRef = {
  apiVersion: 'velero.io/v1',
  plural: 'backupstoragelocations',
  namespace: 'velero',
};

export function consistentBackup(namespace: string, name: string, i: number): ConsistentBackup {
  return {
    apiVersion: 'consistentbackup.io/v1alpha1',
    kind: 'ConsistentBackup',
    metadata: { namespace, name },
    spec: {
      schedule: `${i % 60} 1 * * *`,
      rpo: '26h',
      hooks: [
        {
          name: 'flush',
          selector: { matchLabels: { app: 'db' } },
          container: 'db',
          pre: [{ command: ['/bin/sh', '-c', 'sync'], timeout: '30s', onError: 'Fail' }],
        },
      ],
    },
  };
}

/** Runs `task` for 0..n-1 with at most `concurrency` at once. */
export async function pool(
  n: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
}

export async function ensureNamespaces(admin: KubeRest, names: string[]): Promise<void> {
  for (const name of names) {
    try {
      await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name } } });
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
}

/** The default location, Available, as Velero would report it. Velero's CRDs have no status subresource. */
export async function createStorageLocation(admin: KubeRest): Promise<void> {
  await admin.request('POST', resourcePath(bsls), {
    body: {
      apiVersion: 'velero.io/v1',
      kind: 'BackupStorageLocation',
      metadata: { name: 'default', namespace: 'velero' },
      spec: { provider: 'aws', objectStorage: { bucket: 'bench' }, default: true },
      status: { phase: 'Available', lastValidationTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    },
  });
}

/** Velero revalidates every location each minute, bumping lastValidationTime and nothing else. */
export async function revalidateStorageLocation(admin: KubeRest): Promise<void> {
  await admin.request('PATCH', resourcePath(bsls, 'default'), {
    body: { status: { lastValidationTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } },
    contentType: 'application/merge-patch+json',
  });
}

export async function createConsistentBackup(
  admin: KubeRest,
  cr: ConsistentBackup,
): Promise<ConsistentBackup> {
  return admin.request<ConsistentBackup>('POST', resourcePath(crs(cr.metadata?.namespace ?? '')), {
    body: cr,
  });
}

/** Deletes every ConsistentBackup (dropping finalizers: no operator runs now) and every managed Schedule. */
export async function clearConsistentBackups(admin: KubeRest, namespaces: string[]): Promise<void> {
  const names: [string, string][] = [];
  for (const ns of namespaces) {
    const list = await admin.request<{ items: ConsistentBackup[] }>('GET', resourcePath(crs(ns)));
    for (const cr of list.items) names.push([ns, cr.metadata?.name ?? '']);
    await admin.request('DELETE', resourcePath(crs(ns)));
  }
  await pool(names.length, 16, async (i) => {
    const [ns, name] = names[i] ?? ['', ''];
    try {
      await admin.request('PATCH', resourcePath(crs(ns), name), {
        body: { metadata: { finalizers: null } },
        contentType: 'application/merge-patch+json',
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  });
  await admin.request(
    'DELETE',
    resourcePath({ apiVersion: 'velero.io/v1', plural: 'schedules', namespace: 'velero' }),
    {
      query: { labelSelector: 'app.kubernetes.io/managed-by=consistent-backup-operator' },
    },
  );
}

/** Pods as a workload has them: one container, a few labels, none selected by the benchmark's hooks. */
export async function createPods(
  admin: KubeRest,
  count: number,
  progress: (done: number) => void,
): Promise<void> {
  let done = 0;
  await pool(count, 16, async (i) => {
    const namespace = namespaceOf(i);
    await admin.request('POST', resourcePath({ apiVersion: 'v1', plural: 'pods', namespace }), {
      body: {
        metadata: {
          name: `web-${i}`,
          labels: { app: `web-${i % 50}`, tier: 'frontend', 'pod-template-hash': (i % 997).toString(16) },
        },
        spec: {
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'web',
              image: 'registry.k8s.io/pause:3.10',
              ports: [{ containerPort: 8080 }],
              env: [{ name: 'MODE', value: 'production' }],
              resources: { requests: { cpu: '10m', memory: '16Mi' } },
            },
          ],
        },
      },
    });
    if (++done % 1000 === 0) progress(done);
  });
}
