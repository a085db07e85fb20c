import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiextensionsV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

/** Every CustomResourceDefinition in the YAML files of `dir`. */
export async function readCrds(dir: string): Promise<V1CustomResourceDefinition[]> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const docs = await Promise.all(
    files.map(async (f) =>
      parseAllDocuments(await readFile(join(dir, f), 'utf8')).map(
        (d) => d.toJS() as { kind?: string } | null,
      ),
    ),
  );
  return docs.flat().filter((d): d is V1CustomResourceDefinition => d?.kind === 'CustomResourceDefinition');
}

/** Server-side applies the CRDs and waits until each is Established, so its resources can be used at once. */
export async function applyCrds(
  kc: KubeConfig,
  crds: V1CustomResourceDefinition[],
  fieldManager: string,
  timeoutMs = 30_000,
): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) {
    await objects.patch(crd, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    for (;;) {
      const live = await ext.readCustomResourceDefinition({ name });
      if (live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms`);
      await sleep(50);
    }
  }
}
