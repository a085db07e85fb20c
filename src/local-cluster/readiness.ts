import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CertPair } from './pki.ts';

/** GETs `path` from the API server with a client certificate; resolves with the status code and body. */
export async function apiGet(
  server: string,
  path: string,
  tls: { caFile: string; client: CertPair },
): Promise<{ status: number; body: string }> {
  const [ca, cert, key] = await Promise.all([
    readFile(tls.caFile),
    readFile(tls.client.cert),
    readFile(tls.client.key),
  ]);
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server), { ca, cert, key, timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Waits until the API server's /readyz answers 200, or throws with the last answer after `timeoutMs`. */
export async function waitUntilReady(
  server: string,
  tls: { caFile: string; client: CertPair },
  isAlive: () => boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error('kube-apiserver exited while starting');
    try {
      const res = await apiGet(server, '/readyz', tls);
      if (res.status === 200) return;
      last = `${res.status}: ${res.body.slice(0, 500)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`kube-apiserver at ${server} not ready after ${timeoutMs} ms (last: ${last})`);
}
