import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeRest } from '../core/kube-rest.ts';
import { resourcePath } from '../core/kube-rest.ts';
import { applyNamespace, applyObject } from './apply.ts';
import { ManagedProcess } from './child-process.ts';
import type { S3Endpoint } from './moto.ts';
import { freeLoopbackPort } from './ports.ts';
import { waitFor } from './wait.ts';

const CREDENTIALS_SECRET = { name: 'cloud-credentials', key: 'cloud' };
const storageLocations = (namespace: string) => ({
  apiVersion: 'velero.io/v1',
  plural: 'backupstoragelocations',
  namespace,
});

/** The credential Secret and the default BackupStorageLocation that point Velero's AWS plugin at `s3`. */
export async function installStorageLocation(
  rest: KubeRest,
  namespace: string,
  name: string,
  s3: S3Endpoint,
): Promise<void> {
  await applyNamespace(rest, namespace);
  await applyObject(
    rest,
    { apiVersion: 'v1', plural: 'secrets', namespace },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: CREDENTIALS_SECRET.name, namespace },
      type: 'Opaque',
      stringData: {
        [CREDENTIALS_SECRET.key]: `[default]\naws_access_key_id=${s3.accessKey}\naws_secret_access_key=${s3.secretKey}\n`,
      },
    },
  );
  await applyObject(rest, storageLocations(namespace), {
    apiVersion: 'velero.io/v1',
    kind: 'BackupStorageLocation',
    metadata: { name, namespace },
    spec: {
      provider: 'aws',
      default: true,
      objectStorage: { bucket: s3.bucket },
      credential: CREDENTIALS_SECRET,
      config: {
        region: s3.region,
        s3ForcePathStyle: 'true',
        s3Url: s3.endpoint,
        // moto does not answer the SDK's default CRC checksums the way S3 does.
        checksumAlgorithm: '',
      },
    },
  });
}

/**
 * The Deployment a real install runs Velero from, with no replicas (the server runs as a local process here).
 * Velero's pod-volume restore action reads it for the restore-helper image, and refuses every restore of a
 * pod without it (`deployments.apps "velero" not found`). The image is never pulled: no pod runs from it.
 */
export async function installServerDeployment(rest: KubeRest, namespace: string): Promise<void> {
  const labels = { component: 'velero', deploy: 'velero' };
  await applyObject(
    rest,
    { apiVersion: 'apps/v1', plural: 'deployments', namespace },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'velero', namespace, labels },
      spec: {
        replicas: 0,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'velero', image: 'velero/velero:local' }] },
        },
      },
    },
  );
}

/**
 * `velero server` as a supervised process that tests can stop and start again: the same namespace, plugins
 * and per-instance HOME and TMPDIR (Velero writes credentials and plugin sockets there), fresh loopback ports
 * for metrics and the profiler each time (the defaults bind all addresses).
 */
export class VeleroServer {
  private process: ManagedProcess | undefined;

  constructor(
    private readonly opts: {
      velero: string;
      pluginDir: string;
      dir: string;
      kubeconfigPath: string;
      namespace: string;
      rest: KubeRest;
      onUnexpectedExit: (name: string, how: string) => void;
    },
  ) {}

  get logFile(): string {
    return join(this.opts.dir, 'velero.log');
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const home = join(this.opts.dir, 'home');
    const tmp = join(this.opts.dir, 'tmp');
    await Promise.all([mkdir(home, { recursive: true }), mkdir(tmp, { recursive: true })]);
    const [metricsPort, profilerPort] = await Promise.all([freeLoopbackPort(), freeLoopbackPort()]);
    this.process = new ManagedProcess(
      'velero',
      this.opts.velero,
      [
        'server',
        `--kubeconfig=${this.opts.kubeconfigPath}`,
        `--namespace=${this.opts.namespace}`,
        `--plugin-dir=${this.opts.pluginDir}`,
        `--metrics-address=127.0.0.1:${metricsPort}`,
        `--profiler-address=127.0.0.1:${profilerPort}`,
      ],
      this.logFile,
      {
        env: { PATH: process.env.PATH, HOME: home, TMPDIR: tmp },
        // Velero starts its plugins (itself again, and the AWS plugin) as children: they go with it.
        processGroup: true,
        onUnexpectedExit: (how) => this.opts.onUnexpectedExit('velero', how),
      },
    );
    this.process.start();
    // Velero serves metrics once its controllers are being set up: the sign this instance is up.
    await waitFor(async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).ok, {
      what: 'velero server to serve its metrics',
      timeoutMs: 120_000,
      intervalMs: 250,
      failFast: () => this.process?.exitReport,
    });
  }

  /** Waits until Velero has validated the storage location and found it Available. */
  async waitForStorageLocation(name: string): Promise<void> {
    const path = resourcePath(storageLocations(this.opts.namespace), name);
    await waitFor(
      async () => {
        const bsl = await this.opts.rest.request<{ status?: { phase?: string } }>('GET', path);
        return bsl.status?.phase === 'Available';
      },
      {
        what: `BackupStorageLocation ${this.opts.namespace}/${name} to be Available`,
        timeoutMs: 120_000,
        intervalMs: 250,
        failFast: () => this.process?.exitReport,
      },
    );
  }

  /** SIGTERM, as Kubernetes stops a pod; backups in progress are marked Failed by the next server. */
  async stop(): Promise<void> {
    await this.process?.stop(10_000);
  }
}
