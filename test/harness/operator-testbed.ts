// One control plane with Velero's CRDs, a Velero stand-in playing the Velero server under its own identity,
// and the operator running as a child process under its deploy/ service account: what most operator tests
// need, set up the same way each time.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import type { VeleroBackup, VeleroSchedule } from '../../src/api/velero.ts';
import { VeleroStandIn } from '../support/velero-standin.ts';
import { ensureNamespace } from '../support/fake-pods.ts';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { operatorKubeconfig, type InstallOptions } from './operator-identity.ts';
import { OperatorProcess } from './operator-process.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);

export class OperatorTestbed {
  private constructor(
    readonly cp: ControlPlane,
    readonly standIn: VeleroStandIn,
    readonly operator: OperatorProcess,
  ) {}

  static async start(operatorArgs: string[] = [], install: InstallOptions = {}): Promise<OperatorTestbed> {
    const cp = await startControlPlane();
    try {
      await ensureNamespace(cp.kubeConfig.makeApiClient(CoreV1Api), 'velero');
      const velero = await cp.mintUser('velero-server', ['system:masters']);
      const standIn = new VeleroStandIn(velero.kubeConfig, { phaseDelayMs: 50 });
      await standIn.start();
      await standIn.ensureStorageLocation('default', { phase: 'Available', default: true });
      const operator = await new OperatorProcess({
        kubeconfigPath: await operatorKubeconfig(cp, install),
        args: operatorArgs,
      }).start();
      return new OperatorTestbed(cp, standIn, operator);
    } catch (err) {
      await cp.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.operator.stop();
    await this.standIn.stop();
    await this.cp.stop();
  }

  get core(): CoreV1Api {
    return this.cp.kubeConfig.makeApiClient(CoreV1Api);
  }

  /** kubectl as the cluster admin, the way a user drives the operator. */
  async kubectl(args: string[], stdin?: string): Promise<string> {
    const child = run('kubectl', ['--kubeconfig', this.cp.kubeconfigPath, ...args]);
    if (stdin !== undefined) {
      child.child.stdin?.end(stdin);
    }
    return (await child).stdout;
  }

  /** `kubectl apply` of a ConsistentBackup, creating its namespace first if needed. */
  async applyConsistentBackup(namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
    await ensureNamespace(this.core, namespace);
    const manifest = {
      apiVersion: 'consistentbackup.io/v1alpha1',
      kind: 'ConsistentBackup',
      metadata: { name, namespace },
      spec,
    };
    await this.kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
  }

  async consistentBackup(namespace: string, name: string): Promise<ConsistentBackup> {
    return (await this.cp.kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: 'consistentbackup.io',
      version: 'v1alpha1',
      namespace,
      plural: 'consistentbackups',
      name,
    })) as ConsistentBackup;
  }

  /** Waits until the ConsistentBackup's status satisfies `ok`, and returns it. */
  async waitForStatus(
    namespace: string,
    name: string,
    what: string,
    ok: (cr: ConsistentBackup) => boolean,
    timeoutMs = 30_000,
  ): Promise<ConsistentBackup> {
    return waitFor(
      async () => {
        const cr = await this.consistentBackup(namespace, name);
        return ok(cr) ? cr : undefined;
      },
      { what: `${namespace}/${name}: ${what}`, timeoutMs },
    );
  }

  async veleroObjects<T extends VeleroBackup | VeleroSchedule>(
    plural: 'backups' | 'schedules',
    labelSelector: string,
  ): Promise<T[]> {
    const list = (await this.cp.kubeConfig.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: 'velero.io',
      version: 'v1',
      namespace: 'velero',
      plural,
      labelSelector,
    })) as { items: T[] };
    return list.items;
  }

  /** Backups and Schedules the operator made for the ConsistentBackups of `namespace`. */
  ownedBy<T extends VeleroBackup | VeleroSchedule>(
    plural: 'backups' | 'schedules',
    namespace: string,
    name?: string,
  ): Promise<T[]> {
    const selector = [
      `consistentbackup.io/namespace=${namespace}`,
      ...(name ? [`consistentbackup.io/name=${name}`] : []),
    ];
    return this.veleroObjects<T>(plural, selector.join(','));
  }
}

/** A condition of a ConsistentBackup's status, by type. */
export function condition(cr: ConsistentBackup, type: string) {
  return cr.status?.conditions?.find((c) => c.type === type);
}
