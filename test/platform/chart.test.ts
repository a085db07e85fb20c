// The Helm chart: helm lint and template, no drift from deploy/ (the kustomize bundles are the chart's
// default rendering), and a server-side dry run of what it renders on a real kube-apiserver.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.ts';
import { ensurePlatformTools } from '../harness/platform-tools.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const chart = join(root, 'charts/consistent-backup-operator');
const NAMESPACE = 'consistent-backup-system';

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
const keyOf = (o: K8sObject) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function objects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

async function helm(args: string[]): Promise<string> {
  const { helm } = await ensurePlatformTools();
  return (await run(helm, args, { maxBuffer: 64 << 20 })).stdout;
}

const template = (...sets: string[]) =>
  helm([
    'template',
    'consistent-backup-operator',
    chart,
    '-n',
    NAMESPACE,
    ...sets.flatMap((s) => ['--set', s]),
  ]);

/** Every object a kustomization lists, following directories (whatever files it holds, now or later). */
async function kustomization(dir: string): Promise<K8sObject[]> {
  const { resources = [] } = objects(await readFile(join(dir, 'kustomization.yaml'), 'utf8'))[0] as {
    resources?: string[];
  };
  const found: K8sObject[] = [];
  for (const entry of resources) {
    const path = join(dir, entry);
    found.push(
      ...((await stat(path)).isDirectory()
        ? await kustomization(path)
        : objects(await readFile(path, 'utf8'))),
    );
  }
  return found;
}

function assertSameObjects(rendered: K8sObject[], bundle: K8sObject[], what: string): void {
  const byKey = (list: K8sObject[]) => new Map(list.map((o) => [keyOf(o), o]));
  const [chartObjects, deployObjects] = [byKey(rendered), byKey(bundle)];
  assert.deepEqual(
    [...chartObjects.keys()].sort(),
    [...deployObjects.keys()].sort(),
    `${what}: the same objects`,
  );
  for (const [key, object] of chartObjects)
    assert.deepEqual(object, deployObjects.get(key), `${what}: ${key}`);
}

describe('Helm chart', () => {
  test('helm lint --strict', async () => {
    const out = await helm(['lint', '--strict', chart]);
    assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  test('defaults render exactly deploy/ (every file its kustomization lists)', async () => {
    assertSameObjects(
      objects(await template('namespace.create=true')),
      await kustomization(join(root, 'deploy')),
      'deploy/',
    );
  });

  test('the monitoring objects render exactly deploy/monitoring/', async () => {
    const rendered = objects(await template('podMonitor.enabled=true', 'prometheusRule.enabled=true'));
    const monitoring = rendered.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'));
    assert.deepEqual(monitoring.map((o) => o.kind).sort(), ['PodMonitor', 'PrometheusRule']);
    assertSameObjects(monitoring, await kustomization(join(root, 'deploy/monitoring')), 'deploy/monitoring/');
  });

  test('the chart ships the CRDs of crds/ in its crds/ (installed by helm install, never templated)', async () => {
    const shipped = await readdir(join(chart, 'crds'));
    assert.deepEqual(shipped.sort(), (await readdir(join(root, 'crds'))).sort());
    for (const file of shipped)
      assert.equal(
        await readFile(join(chart, 'crds', file), 'utf8'),
        await readFile(join(root, 'crds', file), 'utf8'),
      );
    const rendered = objects(await template());
    assert.ok(!rendered.some((o) => o.kind === 'CustomResourceDefinition'), 'CRDs are not templates');
  });

  test('values reach the manifests', async () => {
    const rendered = objects(
      await template(
        'allowedVeleroNamespaces={velero-b}',
        'allowedStorageLocations={primary,secondary}',
        'replicas=1',
        'leaderElection.enabled=false',
        'concurrency=8',
        'logLevel=debug',
        'image.tag=9.9.9',
      ),
    );
    const deployment = rendered.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { replicas: number; template: { spec: { containers: { image: string; args: string[] }[] } } };
    };
    const container = deployment.spec.template.spec.containers[0];
    assert.equal(deployment.spec.replicas, 1);
    assert.equal(container?.image, 'consistent-backup-operator:9.9.9');
    assert.deepEqual(container?.args, [
      '--velero-namespace=velero',
      '--allowed-velero-namespaces=velero-b',
      '--allowed-storage-locations=primary,secondary',
      '--metrics-bind-address=:8080',
      '--health-probe-bind-address=:8081',
      '--concurrency=8',
      '--log-level=debug',
    ]);
    // Each Velero namespace the operator may use gets its Role; without leader election, no Lease Role.
    const roles = rendered
      .filter((o) => o.kind === 'Role')
      .map(keyOf)
      .sort();
    assert.deepEqual(roles, [
      'Role velero-b/consistent-backup-operator',
      'Role velero/consistent-backup-operator',
    ]);
  });
});

describe('server-side dry run of the rendered chart on a real kube-apiserver', () => {
  let plane: ControlPlane;
  before(async () => {
    plane = await startControlPlane({ controllerManager: false });
  });
  after(async () => {
    await plane?.stop();
  });

  const kubectl = (args: string[], stdin?: string) => {
    const child = run('kubectl', ['--kubeconfig', plane.kubeconfigPath, ...args]);
    if (stdin !== undefined) child.child.stdin?.end(stdin);
    return child;
  };

  test('every object the chart renders, monitoring included, is accepted as the API server would store it', async () => {
    const { monitoringCrds } = await ensurePlatformTools();
    await kubectl(['apply', '--server-side', '-f', monitoringCrds]);
    await kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/podmonitors.monitoring.coreos.com',
      'crd/prometheusrules.monitoring.coreos.com',
    ]);
    // Namespaced objects need their namespaces to exist for a dry run; the Namespace object itself is dry-run too.
    await kubectl(['create', 'namespace', NAMESPACE]);
    await kubectl(['create', 'namespace', 'velero']);
    const rendered = await template(
      'namespace.create=true',
      'podMonitor.enabled=true',
      'prometheusRule.enabled=true',
    );
    const { stdout } = await kubectl(
      ['apply', '--server-side', '--dry-run=server', '-f', '-', '-o', 'name'],
      rendered,
    );
    const accepted = stdout.split('\n').filter(Boolean).sort();
    assert.equal(accepted.length, objects(rendered).length, stdout);
    assert.ok(accepted.includes('prometheusrule.monitoring.coreos.com/consistent-backup-operator'), stdout);
    assert.ok(accepted.includes('deployment.apps/consistent-backup-operator'), stdout);
  });
});
