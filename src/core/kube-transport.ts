import http from 'node:http';
import https from 'node:https';
import { isDeepStrictEqual } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';

/*
 * client-node's applyToHTTPSOptions reads the CA, certificate and key files and builds a new https.Agent
 * without keep-alive on every call: each request then pays a TLS handshake (measured at ~40% of the
 * operator's CPU while settling 5,000 ConsistentBackups). Here every KubeRest of one KubeConfig shares one
 * keep-alive agent, and the authentication headers and TLS material are taken from client-node again at most
 * every `refreshMs`, so rotated service-account tokens and certificates are still picked up.
 */

export interface Connection {
  agent: http.Agent;
  /** Authentication (and impersonation) headers of the kubeconfig's user. */
  headers: Record<string, string>;
}

/** Idle kept-alive sockets are closed after this; well below the API server's own idle timeout. */
const idleSocketMs = 30_000;
const refreshMs = 10_000;

interface Cached {
  connection: Connection;
  tls: TlsMaterial;
  fetchedAt: number;
}

type TlsMaterial = Pick<
  https.AgentOptions,
  'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername'
>;

const tlsFields = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

const cache = new WeakMap<KubeConfig, Promise<Cached>>();

/** The shared agent and current headers for requests to the current cluster of `kubeConfig`. */
export async function connectionFor(kubeConfig: KubeConfig, now = Date.now()): Promise<Connection> {
  let entry = cache.get(kubeConfig);
  const current = entry && (await entry);
  if (current && now - current.fetchedAt < refreshMs) return current.connection;
  entry = build(kubeConfig, current, now);
  cache.set(kubeConfig, entry);
  try {
    return (await entry).connection;
  } catch (err) {
    cache.delete(kubeConfig);
    throw err;
  }
}

async function build(kubeConfig: KubeConfig, previous: Cached | undefined, now: number): Promise<Cached> {
  const options: https.RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(options);
  const tls: TlsMaterial = {};
  for (const field of tlsFields)
    if (options[field] !== undefined) Object.assign(tls, { [field]: options[field] });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.headers ?? {})) if (typeof v === 'string') headers[k] = v;
  if (options.auth) headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
  const agent =
    previous && sameTls(previous.tls, tls) ? previous.connection.agent : newAgent(kubeConfig, options, tls);
  return { connection: { agent, headers }, tls, fetchedAt: now };
}

function newAgent(kubeConfig: KubeConfig, options: https.RequestOptions, tls: TlsMaterial): http.Agent {
  const cluster = kubeConfig.getCurrentCluster();
  // A proxy agent from client-node knows how to reach the proxy; keep it rather than bypass the proxy.
  if (cluster?.proxyUrl && options.agent instanceof http.Agent) return options.agent;
  const common = { keepAlive: true, timeout: idleSocketMs, scheduling: 'lifo' as const };
  return cluster?.server.startsWith('http:')
    ? new http.Agent(common)
    : new https.Agent({ ...common, ...tls });
}

function sameTls(a: TlsMaterial, b: TlsMaterial): boolean {
  return tlsFields.every((f) => isDeepStrictEqual(a[f], b[f]));
}
