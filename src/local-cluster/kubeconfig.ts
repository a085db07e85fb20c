import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { CertPair } from './pki.ts';

/** Writes a kubeconfig with one cluster, one client-certificate user and one current context. */
export async function writeKubeconfig(
  path: string,
  opts: { server: string; caFile: string; client: CertPair; user: string; contextName?: string },
): Promise<void> {
  const context = opts.contextName ?? 'consistent-backup-local';
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server: opts.server, 'certificate-authority': opts.caFile } }],
    users: [
      { name: opts.user, user: { 'client-certificate': opts.client.cert, 'client-key': opts.client.key } },
    ],
    contexts: [{ name: context, context: { cluster: 'local', user: opts.user, namespace: 'default' } }],
    'current-context': context,
  };
  await writeFile(path, stringify(doc), { mode: 0o600 });
}
