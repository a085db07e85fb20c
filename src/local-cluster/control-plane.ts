import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureControlPlaneBinaries, type ControlPlaneBinaries } from './binaries.ts';
import { ManagedProcess, onProcessExit } from './child-process.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { LocalPki } from './pki.ts';
import { freeLoopbackPort } from './ports.ts';
import { waitUntilReady } from './readiness.ts';

export interface LocalControlPlaneOptions {
  /** Run kube-controller-manager too: it finishes namespace deletion and garbage collection. */
  controllerManager?: boolean;
  /** Parent directory of the control plane's temp dir. */
  parentDir?: string;
}

// Requests are logged at Metadata level (who did what to which object) so tests can count writes.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
`;

/**
 * etcd + kube-apiserver (+ kube-controller-manager) on loopback ports, with generated certificates and an
 * admin kubeconfig, all in one temp dir that `stop()` removes.
 */
export class LocalControlPlane {
  private stopped = false;
  private readonly forgetExitHook = onProcessExit(() => rmSync(this.dir, { recursive: true, force: true }));

  private constructor(
    readonly dir: string,
    readonly server: string,
    readonly kubeconfigPath: string,
    readonly auditLogPath: string,
    private readonly pki: LocalPki,
    private readonly etcd: ManagedProcess,
    private readonly apiserver: ManagedProcess,
    private readonly controllerManager: ManagedProcess | undefined,
    private readonly adminTls: { caFile: string; client: { cert: string; key: string } },
  ) {}

  static async start(opts: LocalControlPlaneOptions = {}): Promise<LocalControlPlane> {
    const binaries = await ensureControlPlaneBinaries();
    const dir = await mkdtemp(join(opts.parentDir ?? tmpdir(), 'cbo-control-plane-'));
    try {
      return await LocalControlPlane.startIn(dir, binaries, opts.controllerManager ?? true);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private static async startIn(
    dir: string,
    bin: ControlPlaneBinaries,
    withControllerManager: boolean,
  ): Promise<LocalControlPlane> {
    const pkiDir = join(dir, 'pki');
    await mkdir(pkiDir);
    const pki = await LocalPki.create(pkiDir);
    const [etcdClientPort, etcdPeerPort, apiPort] = await Promise.all([
      freeLoopbackPort(),
      freeLoopbackPort(),
      freeLoopbackPort(),
    ]);
    const server = `https://127.0.0.1:${apiPort}`;
    const [serving, admin, sa] = await Promise.all([
      pki.issue({
        name: 'apiserver',
        commonName: 'kube-apiserver',
        usage: 'server',
        altNames: ['IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes.default.svc'],
      }),
      pki.issue({ name: 'admin', commonName: 'admin', organizations: ['system:masters'], usage: 'client' }),
      pki.serviceAccountKeys(),
    ]);
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    await writeKubeconfig(kubeconfigPath, { server, caFile: pki.ca.cert, client: admin, user: 'admin' });
    const auditPolicyPath = join(dir, 'audit-policy.yaml');
    const auditLogPath = join(dir, 'audit.log');
    await writeFile(auditPolicyPath, auditPolicy);

    // Out of the terminal's process group: Ctrl-C reaches only the Node process, which stops them in order.
    const ownGroup = { processGroup: true };
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = new ManagedProcess(
      'etcd',
      bin.etcd,
      [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        // A throw-away store: durability costs seconds per test and buys nothing.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      join(dir, 'etcd.log'),
      ownGroup,
    );
    const apiserver = new ManagedProcess(
      'kube-apiserver',
      bin.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--tls-cert-file=${serving.cert}`,
        `--tls-private-key-file=${serving.key}`,
        `--client-ca-file=${pki.ca.cert}`,
        '--authorization-mode=RBAC',
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${sa.publicKey}`,
        `--service-account-signing-key-file=${sa.privateKey}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        `--audit-policy-file=${auditPolicyPath}`,
        `--audit-log-path=${auditLogPath}`,
        '--audit-log-format=json',
        '--audit-log-mode=blocking',
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
      ],
      join(dir, 'kube-apiserver.log'),
      ownGroup,
    );
    const controllerManager = withControllerManager
      ? new ManagedProcess(
          'kube-controller-manager',
          bin.kubeControllerManager,
          [
            `--kubeconfig=${kubeconfigPath}`,
            '--secure-port=0',
            '--leader-elect=false',
            '--controllers=namespace,garbagecollector,serviceaccount,serviceaccount-token',
            `--service-account-private-key-file=${sa.privateKey}`,
            `--root-ca-file=${pki.ca.cert}`,
            '--use-service-account-credentials=false',
          ],
          join(dir, 'kube-controller-manager.log'),
          ownGroup,
        )
      : undefined;

    const plane = new LocalControlPlane(
      dir,
      server,
      kubeconfigPath,
      auditLogPath,
      pki,
      etcd,
      apiserver,
      controllerManager,
      { caFile: pki.ca.cert, client: admin },
    );
    try {
      etcd.start();
      await plane.startApiServer();
      controllerManager?.start();
    } catch (err) {
      await plane.stop();
      throw err;
    }
    return plane;
  }

  get caFile(): string {
    return this.adminTls.caFile;
  }

  /** A kubeconfig for a non-admin identity: a client certificate with this user name and groups. */
  async mintUser(user: string, groups: string[] = []): Promise<string> {
    const stem = `user-${user.replace(/[^a-zA-Z0-9-]/g, '_')}`;
    const client = await this.pki.issue({
      name: stem,
      commonName: user,
      organizations: groups,
      usage: 'client',
    });
    const path = join(this.dir, `${stem}.kubeconfig`);
    await writeKubeconfig(path, { server: this.server, caFile: this.caFile, client, user });
    return path;
  }

  /** Stops kube-apiserver and starts it again on the same port and store, as an API server upgrade would. */
  async restartApiServer(): Promise<void> {
    await this.apiserver.stop();
    await this.startApiServer();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.controllerManager?.stop();
    await this.apiserver.stop();
    await this.etcd.stop();
    await rm(this.dir, { recursive: true, force: true });
    this.forgetExitHook();
  }

  private async startApiServer(): Promise<void> {
    this.apiserver.start();
    await waitUntilReady(this.server, this.adminTls, () => this.apiserver.running);
  }
}
