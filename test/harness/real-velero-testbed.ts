// The real Velero environment (src/local-cluster/velero-environment.ts) with the operator running as a child
// process under its deploy/ service account: what the end-to-end tests need, set up the same way each time.
// Nothing here stands in for Velero: hooks run through kube-apiserver -> kwok, backups land in moto's bucket.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { VeleroBackup } from '../../src/api/velero.ts';
import { ensureVeleroBinaries } from '../../src/local-cluster/binaries.ts';
import { ClusterAdmin } from './cluster-admin.ts';
import { operatorKubeconfig } from './operator-identity.ts';
import { OperatorProcess } from './operator-process.ts';
import {
  ensureNamespace,
  startPod,
  startVeleroEnv,
  type PodOptions,
  type VeleroEnvironment,
} from './velero-env.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);

export class RealVeleroTestbed extends ClusterAdmin {
  private constructor(
    readonly env: VeleroEnvironment,
    readonly operator: OperatorProcess,
    private readonly operatorKubeconfigPath: string,
    readonly veleroCli: string,
  ) {
    // A real Velero takes longer than the stand-in: its queue, the exec round trips, its records.
    super(env.kubeconfigPath, env.kubeConfig, 90_000);
  }

  static async start(): Promise<RealVeleroTestbed> {
    const env = await startVeleroEnv();
    try {
      const kubeconfigPath = await operatorKubeconfig({
        kubeConfig: env.kubeConfig,
        dir: env.dir,
        server: env.controlPlane.server,
      });
      // The tests take run-now backups seconds apart and prove Velero's own cron with a per-minute schedule:
      // the cluster admin widens those two limits, as an admin may.
      await new ClusterAdmin(env.kubeconfigPath, env.kubeConfig, 0).setClusterPolicy({
        minRunNowInterval: '0s',
        minScheduleInterval: '1m',
      });
      const operator = await new OperatorProcess({ kubeconfigPath }).start();
      const { velero } = await ensureVeleroBinaries();
      return new RealVeleroTestbed(env, operator, kubeconfigPath, velero);
    } catch (err) {
      await env.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.operator.stop();
    await this.env.stop();
  }

  /** Stops the operator (as an upgrade or a failover would) and returns a function that starts it again. */
  async stopOperator(): Promise<() => Promise<void>> {
    await this.operator.stop();
    return async () => {
      (this as { operator: OperatorProcess }).operator = await new OperatorProcess({
        kubeconfigPath: this.operatorKubeconfigPath,
      }).start();
    };
  }

  /** The velero CLI of the same version as the server, as an administrator would use it. */
  async velero(args: string[]): Promise<string> {
    const { stdout } = await run(this.veleroCli, [
      '--kubeconfig',
      this.env.kubeconfigPath,
      '-n',
      this.env.veleroNamespace,
      ...args,
    ]);
    return stdout;
  }

  /** A fresh namespace and a temp dir where the pods' hooks run (the only place they write). */
  async namespace(name: string): Promise<{ namespace: string; workDir: string }> {
    await ensureNamespace(this.env, name);
    return { namespace: name, workDir: await mkdtemp(join(this.env.dir, `${name}-hooks-`)) };
  }

  startPod(namespace: string, name: string, opts: PodOptions = {}): Promise<void> {
    return startPod(this.env, namespace, name, opts);
  }

  async runNow(namespace: string, name: string, token: string): Promise<void> {
    await this.kubectl([
      'annotate',
      '-n',
      namespace,
      'consistentbackup',
      name,
      `consistentbackup.io/run-now=${token}`,
      '--overwrite',
    ]);
  }

  async backup(name: string): Promise<VeleroBackup | undefined> {
    try {
      return (await this.env.kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
        group: 'velero.io',
        version: 'v1',
        namespace: this.env.veleroNamespace,
        plural: 'backups',
        name,
      })) as VeleroBackup;
    } catch {
      return undefined;
    }
  }

  /** Waits until Velero has finished the backup (whatever the operator does), and returns it. */
  async waitForBackupFinished(name: string, timeoutMs = 90_000): Promise<VeleroBackup> {
    return waitFor(
      async () => {
        const b = await this.backup(name);
        return b &&
          ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'].includes(b.status?.phase ?? '')
          ? b
          : undefined;
      },
      { what: `Velero backup ${name} finished`, timeoutMs },
    );
  }

  /** The lines the pod's hooks appended to `file` in their work dir. */
  async hookOutput(workDir: string, file: string): Promise<string[]> {
    try {
      return (await readFile(join(workDir, file), 'utf8')).split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }
}
