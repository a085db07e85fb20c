import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeRest } from '../core/kube-rest.ts';
import { resourcePath } from '../core/kube-rest.ts';
import { applyObject } from './apply.ts';
import { ManagedProcess } from './child-process.ts';
import { freeLoopbackPort } from './ports.ts';
import { waitFor } from './wait.ts';

/** Where and how a pod's exec'd commands run on the host. */
export interface ExecRule {
  /** Existing directory the commands start in. */
  workDir: string;
  /** Added to the environment the commands get (kwok's own: PATH, and HOME/TMPDIR in kwok's temp dir). */
  env?: Record<string, string>;
}

const nodes = { apiVersion: 'v1', plural: 'nodes' };
// kwok manages only nodes carrying this annotation, never a real cluster's others.
const MANAGED_ANNOTATION = 'kwok.x-k8s.io/node';

/**
 * kwok playing one Node without a kubelet: pods bound to it run (as far as the API server can tell), and
 * `exec` into them runs the command on this host. Exec is confined to pods that have an exec rule: a
 * namespaced kwok `Exec` object named like the pod (kwok --enable-crds=Exec). No ClusterExec exists, so a
 * pod without its own rule gets an error, never a shell on the host.
 */
export class KwokNode {
  private constructor(
    readonly nodeName: string,
    private readonly rest: KubeRest,
    private readonly process: ManagedProcess,
  ) {}

  static async start(opts: {
    kwok: string;
    stagesDir: string;
    dir: string;
    kubeconfigPath: string;
    rest: KubeRest;
    nodeName: string;
    onUnexpectedExit: (name: string, how: string) => void;
  }): Promise<KwokNode> {
    const port = await freeLoopbackPort();
    const home = join(opts.dir, 'home');
    await mkdir(home, { recursive: true });
    const stages = (await readdir(opts.stagesDir)).filter((f) => f.endsWith('.yaml')).sort();
    const process = new ManagedProcess(
      'kwok',
      opts.kwok,
      [
        `--kubeconfig=${opts.kubeconfigPath}`,
        ...stages.map((f) => `--config=${join(opts.stagesDir, f)}`),
        '--manage-all-nodes=false',
        `--manage-nodes-with-annotation-selector=${MANAGED_ANNOTATION}=fake`,
        // The API server reaches the "kubelet" (kwok's server) at the node's InternalIP and kubelet port.
        '--node-ip=127.0.0.1',
        `--node-port=${port}`,
        `--server-address=127.0.0.1:${port}`,
        '--enable-crds=Exec',
      ],
      join(opts.dir, 'kwok.log'),
      {
        // Exec'd commands inherit this environment: nothing of the caller's beyond PATH.
        env: { PATH: globalThis.process.env.PATH, HOME: home, TMPDIR: home },
        processGroup: true,
        onUnexpectedExit: (how) => opts.onUnexpectedExit('kwok', how),
      },
    );
    const node = new KwokNode(opts.nodeName, opts.rest, process);
    await applyObject(opts.rest, nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: opts.nodeName,
        annotations: { [MANAGED_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: { 'kubernetes.io/hostname': opts.nodeName, 'kubernetes.io/os': 'linux', type: 'kwok' },
      },
    });
    process.start();
    try {
      await waitFor(() => node.ready(), {
        what: `kwok to make node ${opts.nodeName} Ready`,
        timeoutMs: 60_000,
        intervalMs: 200,
        failFast: () => process.exitReport,
      });
    } catch (err) {
      await node.stop();
      throw err;
    }
    return node;
  }

  /** Gives the pod `namespace/pod` (existing or not yet created) its exec rule: every container alike. */
  async execRule(namespace: string, pod: string, rule: ExecRule): Promise<void> {
    const envs = Object.entries(rule.env ?? {}).map(([name, value]) => ({ name, value }));
    await applyObject(
      this.rest,
      { apiVersion: 'kwok.x-k8s.io/v1alpha1', plural: 'execs', namespace },
      {
        apiVersion: 'kwok.x-k8s.io/v1alpha1',
        kind: 'Exec',
        metadata: { name: pod, namespace },
        spec: { execs: [{ local: { workDir: rule.workDir, envs } }] },
      },
    );
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }

  private async ready(): Promise<boolean> {
    const node = await this.rest.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
      'GET',
      resourcePath(nodes, this.nodeName),
    );
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  }
}
