import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { KubeRest, resourcePath } from '../core/kube-rest.ts';
import { applyObject } from './apply.ts';

/** A CRD as raw JSON: client-node's typed model would drop x-kubernetes-* (CEL rules, list types). */
export interface RawCrd {
  apiVersion: string;
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string }[] };
}

const crdResource = { apiVersion: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions' };

/** Every CustomResourceDefinition in the YAML files of `dir`. */
export async function readCrds(dir: string): Promise<RawCrd[]> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const docs = await Promise.all(
    files.map(async (f) =>
      parseAllDocuments(await readFile(join(dir, f), 'utf8')).map(
        (d) => d.toJS() as { kind?: string } | null,
      ),
    ),
  );
  return docs.flat().filter((d): d is RawCrd => d?.kind === 'CustomResourceDefinition');
}

/** Server-side applies the CRDs and waits until each is Established, so its resources can be used at once. */
export async function applyCrds(
  kc: KubeConfig,
  crds: RawCrd[],
  fieldManager: string,
  timeoutMs = 30_000,
): Promise<void> {
  const rest = new KubeRest(kc);
  for (const crd of crds) await applyObject(rest, crdResource, crd, fieldManager);
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    for (;;) {
      const live = await rest.request<RawCrd>('GET', resourcePath(crdResource, crd.metadata.name));
      if (live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline)
        throw new Error(`CRD ${crd.metadata.name} not Established after ${timeoutMs} ms`);
      await sleep(50);
    }
  }
}
