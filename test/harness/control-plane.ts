import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { applyCrds, readCrds } from '../../src/local-cluster/crds.ts';
import { LocalControlPlane } from '../../src/local-cluster/control-plane.ts';
import { ensureVeleroCrds } from '../../src/local-cluster/binaries.ts';
import './exit-on-signal.ts';

export const projectCrdDir = fileURLToPath(new URL('../../crds/', import.meta.url));

export interface ControlPlane {
  readonly server: string;
  /** Admin kubeconfig (client certificate in system:masters). */
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  /** kube-apiserver audit log: JSON lines at Metadata level. */
  readonly auditLogPath: string;
  readonly dir: string;
  /** A non-admin identity: a client certificate with this user name and groups. */
  mintUser(name: string, groups?: string[]): Promise<{ kubeconfigPath: string; kubeConfig: KubeConfig }>;
  restartApiServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Install the CRDs of crds/ and Velero's (scripts/velero-crds.sh) and wait until Established (default true). */
  installCrds?: boolean;
  /** Run kube-controller-manager (namespace deletion, garbage collection; default true). */
  controllerManager?: boolean;
}

export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** Starts a real etcd + kube-apiserver (+ kube-controller-manager) for one test file. */
export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  const plane = await LocalControlPlane.start({ controllerManager: opts.controllerManager ?? true });
  const kubeConfig = loadKubeConfig(plane.kubeconfigPath);
  try {
    if (opts.installCrds ?? true) {
      const crds = [...(await readCrds(projectCrdDir)), ...(await readCrds(await ensureVeleroCrds()))];
      await applyCrds(kubeConfig, crds, 'test-harness');
    }
  } catch (err) {
    await plane.stop();
    throw err;
  }
  return wrapControlPlane(plane, kubeConfig, () => plane.stop());
}

/** The harness's view of a running LocalControlPlane; `stop` stops what owns it. */
export function wrapControlPlane(
  plane: LocalControlPlane,
  kubeConfig: KubeConfig,
  stop: () => Promise<void>,
): ControlPlane {
  return {
    server: plane.server,
    kubeconfigPath: plane.kubeconfigPath,
    kubeConfig,
    auditLogPath: plane.auditLogPath,
    dir: plane.dir,
    async mintUser(name, groups) {
      const kubeconfigPath = await plane.mintUser(name, groups);
      return { kubeconfigPath, kubeConfig: loadKubeConfig(kubeconfigPath) };
    },
    restartApiServer: () => plane.restartApiServer(),
    stop,
  };
}
