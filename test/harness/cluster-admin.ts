// What every operator testbed does as the cluster admin, the way a user drives the operator: kubectl, apply a
// ConsistentBackup, read it, wait for its status.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);

export class ClusterAdmin {
  constructor(
    private readonly adminKubeconfigPath: string,
    private readonly adminKubeConfig: KubeConfig,
    /** How long waitForStatus waits by default. */
    private readonly statusTimeoutMs: number,
  ) {}

  async kubectl(args: string[], stdin?: string): Promise<string> {
    const child = run('kubectl', ['--kubeconfig', this.adminKubeconfigPath, ...args]);
    if (stdin !== undefined) child.child.stdin?.end(stdin);
    return (await child).stdout;
  }

  /** `kubectl apply` of a ConsistentBackup; its namespace must exist. */
  async applyConsistentBackup(namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
    const manifest = {
      apiVersion: 'consistentbackup.io/v1alpha1',
      kind: 'ConsistentBackup',
      metadata: { name, namespace },
      spec,
    };
    await this.kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
  }

  /** Changes the cluster's limits (the ConsistentBackupPolicy "cluster"), as a cluster admin may. */
  async setClusterPolicy(spec: Record<string, unknown>): Promise<void> {
    await this.kubectl([
      'patch',
      'consistentbackuppolicy',
      'cluster',
      '--type=merge',
      '-p',
      JSON.stringify({ spec }),
    ]);
  }

  /**
   * Applies a ConsistentBackup that only a limit just widened admits: the admission policies read the
   * ConsistentBackupPolicy a moment after it changed.
   */
  async applyOnceAdmitted(namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
    await waitFor(
      () =>
        this.applyConsistentBackup(namespace, name, spec).then(
          () => true,
          () => false,
        ),
      { what: `${namespace}/${name} to be admitted under the widened limits` },
    );
  }

  async consistentBackup(namespace: string, name: string): Promise<ConsistentBackup> {
    return (await this.adminKubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
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
    timeoutMs = this.statusTimeoutMs,
  ): Promise<ConsistentBackup> {
    return waitFor(
      async () => {
        const cr = await this.consistentBackup(namespace, name);
        return ok(cr) ? cr : undefined;
      },
      { what: `${namespace}/${name}: ${what}`, timeoutMs },
    );
  }
}
