import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
}

const buildScript = fileURLToPath(new URL('../../scripts/build-control-plane.sh', import.meta.url));

/**
 * Paths of the control-plane binaries. The build script reuses its cache, so this is quick when they exist
 * and builds them (minutes, progress on stderr) when they do not: never a manual step.
 */
export async function ensureControlPlaneBinaries(): Promise<ControlPlaneBinaries> {
  const child = spawn('bash', [buildScript], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  const paths = new Map(
    stdout
      .split('\n')
      .map((line) => line.split('='))
      .filter((kv): kv is [string, string] => kv.length === 2),
  );
  const etcd = paths.get('ETCD');
  const kubeApiserver = paths.get('KUBE_APISERVER');
  const kubeControllerManager = paths.get('KUBE_CONTROLLER_MANAGER');
  if (code !== 0 || !etcd || !kubeApiserver || !kubeControllerManager) {
    throw new Error(`${buildScript} exited ${code} without the binaries' paths:\n${stdout}`);
  }
  return { etcd, kubeApiserver, kubeControllerManager };
}
