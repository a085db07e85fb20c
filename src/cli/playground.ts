import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { KubeRest } from '../core/kube-rest.ts';
import { applyNamespace, applyObject } from '../local-cluster/apply.ts';
import { stepLogger } from '../local-cluster/progress.ts';
import { startVeleroEnvironment, type VeleroEnvironment } from '../local-cluster/velero-environment.ts';

const demoManifest = fileURLToPath(new URL('../../examples/playground-demo.yaml', import.meta.url));
const clusterPolicy = fileURLToPath(new URL('../../deploy/policy.yaml', import.meta.url));
const DEMO_NAMESPACE = 'demo';
const DEMO_POD = 'database';

/**
 * `npm start` without a cluster: the real local Velero environment (control plane, kwok node, moto S3, velero
 * server), a `demo` namespace with a "database" pod whose hook really runs (on this host, in a temp dir of the
 * environment, through Velero's exec), and the ConsistentBackup of examples/playground-demo.yaml, which asks
 * for a first backup at once. Stopping the environment removes all of it.
 */
export async function startPlayground(veleroNamespace: string): Promise<VeleroEnvironment> {
  const progress = stepLogger('playground');
  progress('no kubeconfig found: starting a local cluster with a real Velero (stop it with Ctrl-C)');
  const env = await startVeleroEnvironment({ progress, veleroNamespace });
  try {
    const rest = new KubeRest(env.kubeConfig);
    // The cluster admin's limits, as deploy/ ships them: without them the operator takes no backup.
    await applyObject(
      rest,
      { apiVersion: 'consistentbackup.io/v1alpha1', plural: 'consistentbackuppolicies' },
      parse(await readFile(clusterPolicy, 'utf8')) as {
        apiVersion: string;
        kind: string;
        metadata: { name: string };
      },
    );
    const hookDir = join(env.dir, 'demo-database');
    await mkdir(hookDir);
    progress(`starting pod ${DEMO_NAMESPACE}/${DEMO_POD}; its hooks run in ${hookDir}`);
    await applyNamespace(rest, DEMO_NAMESPACE);
    await env.execRule(DEMO_NAMESPACE, DEMO_POD, { workDir: hookDir, env: { DEMO_DATABASE: 'playground' } });
    await applyObject(
      rest,
      { apiVersion: 'v1', plural: 'pods', namespace: DEMO_NAMESPACE },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: DEMO_POD, namespace: DEMO_NAMESPACE, labels: { app: 'database' } },
        spec: { nodeName: env.nodeName, containers: [{ name: 'database', image: 'postgres:17' }] },
      },
    );
    await env.waitForPod(DEMO_NAMESPACE, DEMO_POD, { execContainer: 'database' });
    const backup = parse(await readFile(demoManifest, 'utf8')) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace?: string };
    };
    backup.metadata.namespace = DEMO_NAMESPACE;
    await applyObject(
      rest,
      { apiVersion: 'consistentbackup.io/v1alpha1', plural: 'consistentbackups', namespace: DEMO_NAMESPACE },
      backup,
    );
    process.stderr.write(
      [
        '',
        `Playground ready: ConsistentBackup ${DEMO_NAMESPACE}/${backup.metadata.name} takes its first backup now.`,
        'In another terminal:',
        '',
        `export KUBECONFIG=${env.kubeconfigPath}`,
        `kubectl get consistentbackups -n ${DEMO_NAMESPACE} -w`,
        `kubectl get backups.velero.io -n ${env.veleroNamespace}`,
        `curl -s '${env.s3.endpoint}/${env.s3.bucket}?list-type=2'   # the S3 bucket (moto)`,
        `cat ${join(hookDir, 'checkpoint')}   # written by the pre hook`,
        '',
        '',
      ].join('\n'),
    );
    return env;
  } catch (err) {
    await env.stop();
    throw err;
  }
}
