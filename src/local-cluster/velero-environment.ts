import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeRest } from '../core/kube-rest.ts';
import { ensureControlPlaneBinaries, ensureVeleroBinaries, ensureVeleroCrds } from './binaries.ts';
import { onProcessExit } from './child-process.ts';
import { LocalControlPlane } from './control-plane.ts';
import { LOCAL_FIELD_MANAGER } from './apply.ts';
import { applyCrds, readCrds } from './crds.ts';
import { KwokNode, type ExecRule } from './kwok.ts';
import { MotoS3, type S3Endpoint } from './moto.ts';
import { execInPod, type ExecResult } from './pod-exec.ts';
import { waitForPod } from './pods.ts';
import { stepLogger } from './progress.ts';
import { installServerDeployment, installStorageLocation, VeleroServer } from './velero-server.ts';

export type { ExecRule } from './kwok.ts';
export type { ExecResult } from './pod-exec.ts';

const projectCrdDir = fileURLToPath(new URL('../../crds/', import.meta.url));

export interface VeleroEnvironmentOptions {
  /** Where the environment's temp dir is made (default: the OS temp dir). */
  parentDir?: string;
  /** Receives one line per start step (default: stderr with the elapsed time). */
  progress?: (message: string) => void;
  veleroNamespace?: string;
}

/**
 * A real Velero on a local cluster, all on 127.0.0.1: etcd, kube-apiserver and kube-controller-manager; kwok
 * playing one Node; moto serving an S3 bucket; `velero server` with the AWS plugin and an Available default
 * BackupStorageLocation in that bucket. Everything lives in one temp dir that `stop()` (or this process
 * exiting) removes.
 */
export interface VeleroEnvironment {
  readonly controlPlane: LocalControlPlane;
  /** Admin kubeconfig (system:masters). */
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  readonly veleroNamespace: string;
  /** The default BackupStorageLocation, Available when the environment is returned. */
  readonly storageLocation: string;
  readonly s3: S3Endpoint;
  /** The kwok Node: pods bound to it (`spec.nodeName`) run. */
  readonly nodeName: string;
  /** The environment's temp dir; every process's log is below it. */
  readonly dir: string;
  /** Logs of Velero, kwok and moto, for failure messages. */
  readonly logs: { velero: string; kwok: string; moto: string };
  /**
   * Gives a pod (namespace/name, created before or after) its own exec environment: exec'd commands (Velero's
   * hooks) run on this host in `workDir` with `env` added. Pods without a rule cannot exec at all.
   */
  execRule(namespace: string, pod: string, rule: ExecRule): Promise<void>;
  /** Runs a command in a pod through the API server's `pods/exec`, as Velero's hooks do. */
  exec(namespace: string, pod: string, container: string, command: string[]): Promise<ExecResult>;
  /**
   * Waits until the pod is Running and, with `execContainer`, until exec works there (its rule is in place),
   * so a backup started afterwards finds its hook target ready.
   */
  waitForPod(namespace: string, pod: string, opts?: { execContainer?: string }): Promise<void>;
  /** Every object key in the bucket under `prefix`. */
  listObjects(prefix?: string): Promise<string[]>;
  /** Stops Velero and starts it again, waiting until the storage location is Available. */
  restartVelero(): Promise<void>;
  stopVelero(): Promise<void>;
  startVelero(): Promise<void>;
  /** Stops every process and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const STORAGE_LOCATION = 'default';
const NODE_NAME = 'kwok-node';

export async function startVeleroEnvironment(
  opts: VeleroEnvironmentOptions = {},
): Promise<VeleroEnvironment> {
  const progress = opts.progress ?? stepLogger('velero-env');
  const veleroNamespace = opts.veleroNamespace ?? 'velero';
  progress('checking the cached binaries (the first run builds them from source: ~20 min, progress below)');
  await ensureControlPlaneBinaries();
  const [bin, veleroCrdDir] = [await ensureVeleroBinaries(), await ensureVeleroCrds()];

  const dir = await mkdtemp(join(opts.parentDir ?? tmpdir(), 'cbo-velero-env-'));
  const forgetExitHook = onProcessExit(() =>
    // Retried: processes killed a moment ago may still be closing files in it.
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 }),
  );
  let stopping = false;
  const parts: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    stopping = true;
    for (const part of parts.reverse()) await part.stop();
    await rm(dir, { recursive: true, force: true });
    forgetExitHook();
  };
  const onUnexpectedExit = (name: string, how: string) => {
    if (!stopping) progress(`${name} exited unexpectedly (${how}); its log is in ${dir}/${name}`);
  };

  try {
    progress('starting etcd, kube-apiserver and kube-controller-manager');
    const controlPlane = await LocalControlPlane.start({ parentDir: dir, controllerManager: true });
    parts.push(controlPlane);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(controlPlane.kubeconfigPath);
    const rest = new KubeRest(kubeConfig);

    progress('installing the CRDs (ours, Velero, kwok Exec)');
    const crds = await Promise.all([readCrds(projectCrdDir), readCrds(veleroCrdDir), readCrds(bin.kwokCrds)]);
    await applyCrds(kubeConfig, crds.flat(), LOCAL_FIELD_MANAGER);

    progress('starting moto (S3) and kwok (node)');
    const partDir = async (name: string) => {
      const path = join(dir, name);
      await mkdir(path);
      return path;
    };
    const [motoDir, kwokDir, veleroDir] = await Promise.all(['moto', 'kwok', 'velero'].map(partDir));
    const [moto, kwok] = await Promise.all([
      MotoS3.start(bin.motoServer, motoDir!, onUnexpectedExit),
      KwokNode.start({
        kwok: bin.kwok,
        stagesDir: bin.kwokStages,
        dir: kwokDir!,
        kubeconfigPath: controlPlane.kubeconfigPath,
        rest,
        nodeName: NODE_NAME,
        onUnexpectedExit,
      }),
    ]);
    parts.push(moto, kwok);

    progress(`starting velero server (namespace ${veleroNamespace}, bucket ${moto.s3.bucket})`);
    await installStorageLocation(rest, veleroNamespace, STORAGE_LOCATION, moto.s3);
    await installServerDeployment(rest, veleroNamespace);
    const velero = new VeleroServer({
      velero: bin.velero,
      pluginDir: bin.pluginDir,
      dir: veleroDir!,
      kubeconfigPath: controlPlane.kubeconfigPath,
      namespace: veleroNamespace,
      rest,
      onUnexpectedExit,
    });
    parts.push(velero);
    const startVelero = async () => {
      await velero.start();
      await velero.waitForStorageLocation(STORAGE_LOCATION);
    };
    await startVelero();
    progress(`ready: BackupStorageLocation ${veleroNamespace}/${STORAGE_LOCATION} is Available`);

    let stopped: Promise<void> | undefined;
    return {
      controlPlane,
      kubeconfigPath: controlPlane.kubeconfigPath,
      kubeConfig,
      veleroNamespace,
      storageLocation: STORAGE_LOCATION,
      s3: moto.s3,
      nodeName: kwok.nodeName,
      dir,
      logs: { velero: velero.logFile, kwok: join(kwokDir!, 'kwok.log'), moto: join(motoDir!, 'moto.log') },
      execRule: (namespace, pod, rule) => kwok.execRule(namespace, pod, rule),
      exec: (namespace, pod, container, command) => execInPod(kubeConfig, namespace, pod, container, command),
      waitForPod: (namespace, pod, podOpts) => waitForPod(kubeConfig, namespace, pod, podOpts),
      listObjects: (prefix) => moto.listObjects(prefix),
      async restartVelero() {
        await velero.stop();
        await startVelero();
      },
      stopVelero: () => velero.stop(),
      startVelero,
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
