import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
}

/** The real Velero environment: server, S3 plugin, kwok (nodes and exec) and moto (S3). */
export interface VeleroBinaries {
  velero: string;
  /** A folder holding only the AWS object-store plugin, for `velero server --plugin-dir`. */
  pluginDir: string;
  kwok: string;
  /** kwok's default stages (node and pod lifecycles). */
  kwokStages: string;
  /** kwok's Exec CRD: per-pod exec rules, read by kwok at run time. */
  kwokCrds: string;
  motoServer: string;
}

/**
 * Runs one of scripts/ and reads the `NAME=path` lines it prints. The scripts reuse their cache, so this is
 * quick when the parts exist and builds them (minutes, progress on stderr) when they do not: never a manual step.
 */
export async function runCacheScript<K extends string>(
  script: string,
  keys: readonly K[],
): Promise<Record<K, string>> {
  const path = fileURLToPath(new URL(`../../scripts/${script}`, import.meta.url));
  const child = spawn('bash', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  const values = new Map(
    stdout
      .split('\n')
      .map((line) => line.split('='))
      .filter((kv): kv is [string, string] => kv.length === 2),
  );
  const missing = keys.filter((k) => !values.get(k));
  if (code !== 0 || missing.length > 0) {
    throw new Error(`${path} exited ${code} without ${missing.join(', ')}:\n${stdout}`);
  }
  return Object.fromEntries(keys.map((k) => [k, values.get(k)!])) as Record<K, string>;
}

export async function ensureControlPlaneBinaries(): Promise<ControlPlaneBinaries> {
  const paths = await runCacheScript('build-control-plane.sh', [
    'ETCD',
    'KUBE_APISERVER',
    'KUBE_CONTROLLER_MANAGER',
  ]);
  return {
    etcd: paths.ETCD,
    kubeApiserver: paths.KUBE_APISERVER,
    kubeControllerManager: paths.KUBE_CONTROLLER_MANAGER,
  };
}

/** The folder of Velero's CRDs, for the Velero version the project tests against. */
export async function ensureVeleroCrds(): Promise<string> {
  return (await runCacheScript('velero-crds.sh', ['VELERO_CRDS'])).VELERO_CRDS;
}

export async function ensureVeleroBinaries(): Promise<VeleroBinaries> {
  const paths = await runCacheScript('build-velero-env.sh', [
    'VELERO',
    'VELERO_PLUGIN_DIR',
    'KWOK',
    'KWOK_STAGES',
    'KWOK_CRDS',
    'MOTO_SERVER',
  ]);
  return {
    velero: paths.VELERO,
    pluginDir: paths.VELERO_PLUGIN_DIR,
    kwok: paths.KWOK,
    kwokStages: paths.KWOK_STAGES,
    kwokCrds: paths.KWOK_CRDS,
    motoServer: paths.MOTO_SERVER,
  };
}
