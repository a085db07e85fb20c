// Pods for tests on a control plane without kubelets: created through the API, then given the phase a kubelet
// would report by patching pods/status. Velero's hook accounting reads exactly these fields.
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../harness/wait.ts';

export interface FakePod {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Container names (default ['main']). */
  containers?: string[];
  /** The phase to report; 'Pending' leaves the status as the API server made it. */
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
}

export async function ensureNamespace(core: CoreV1Api, name: string, labels?: Record<string, string>) {
  try {
    await core.createNamespace({ body: { metadata: { name, labels } } });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

export async function createFakePod(core: CoreV1Api, pod: FakePod): Promise<V1Pod> {
  const { namespace, name, labels, annotations, containers = ['main'], phase = 'Running' } = pod;
  const body: V1Pod = {
    metadata: { name, namespace, labels, annotations },
    spec: {
      automountServiceAccountToken: false,
      containers: containers.map((c) => ({ name: c, image: 'registry.invalid/none:0' })),
    },
  };
  // The ServiceAccount admission plugin refuses pods until the namespace's default ServiceAccount exists.
  const created = await waitFor(() => core.createNamespacedPod({ namespace, body }), {
    what: `pod ${namespace}/${name} to be created`,
  });
  if (phase === 'Pending') return created;
  return core.patchNamespacedPodStatus(
    { namespace, name, body: { status: { phase } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}
