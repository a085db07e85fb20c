// One control plane with Velero's CRDs, a Velero stand-in playing the Velero server under its own identity,
// and the operator running as a child process under its deploy/ service account: what most operator tests
// need, set up the same way each time.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import type { VeleroBackup, VeleroSchedule } from '../../src/api/velero.ts';
import { VeleroStandIn } from '../support/velero-standin.ts';
import { ensureNamespace } from '../support/fake-pods.ts';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { operatorKubeconfig, type InstallOptions } from './operator-identity.ts';
import { OperatorProcess } from './operator-process.ts';
import { ClusterAdmin } from './cluster-admin.ts';

export class OperatorTestbed extends ClusterAdmin {
  private constructor(
    readonly cp: ControlPlane,
    readonly standIn: VeleroStandIn,
    readonly operator: OperatorProcess,
  ) {
    super(cp.kubeconfigPath, cp.kubeConfig, 30_000);
  }

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

  /** `kubectl apply` of a ConsistentBackup, creating its namespace first if needed. */
  override async applyConsistentBackup(
    namespace: string,
    name: string,
    spec: Record<string, unknown>,
  ): Promise<void> {
    await ensureNamespace(this.core, namespace);
    await super.applyConsistentBackup(namespace, name, spec);
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
