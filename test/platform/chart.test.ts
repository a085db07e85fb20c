// The Helm chart: helm lint and template, no drift from deploy/ (the kustomize bundles are the chart's
// default rendering), and a server-side dry run of what it renders on a real kube-apiserver.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
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

const templateIn = (namespace: string, ...sets: string[]) =>
  helm([
    'template',
    'consistent-backup-operator',
    chart,
    '-n',
    namespace,
    ...sets.flatMap((s) => ['--set', s]),
  ]);
const template = (...sets: string[]) => templateIn(NAMESPACE, ...sets);

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

interface Kustomization {
  resources: string[];
  components?: string[];
  /** Files written beside the kustomization.yaml. */
  files?: Record<string, string>;
}

/**
 * What `kubectl kustomize` renders for a kustomization in a temp dir. `build` gets the dir, since kustomize
 * takes only relative paths to other kustomizations.
 */
async function kustomize(build: (dir: string) => Kustomization): Promise<K8sObject[]> {
  const dir = await mkdtemp(join(tmpdir(), 'cbo-kustomize-'));
  try {
    const { files = {}, ...spec } = build(dir);
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    await writeFile(
      join(dir, 'kustomization.yaml'),
      stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', ...spec }),
    );
    return objects((await run('kubectl', ['kustomize', dir], { maxBuffer: 64 << 20 })).stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type Rule = { apiGroups?: string[]; resources?: string[] };
const grantsPods = (o: K8sObject) =>
  ((o as unknown as { rules?: Rule[] }).rules ?? []).some(
    (r) => r.apiGroups?.includes('') && r.resources?.some((x) => x === 'pods' || x === '*'),
  );

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

  test('watchNamespaces renders exactly deploy/ with the namespaced component: no cluster-wide pod reader', async () => {
    // Both sides pass through kustomize: its YAML reader folds multi-line CEL differently from ours.
    const chartText = await template('namespace.create=true', 'watchNamespaces={team-a}');
    const rendered = await kustomize(() => ({
      resources: ['chart.yaml'],
      files: { 'chart.yaml': chartText },
    }));
    const deploy = (dir: string) => relative(dir, join(root, 'deploy'));
    const namespaced = await kustomize((dir) => ({
      resources: [deploy(dir)],
      components: [join(deploy(dir), 'namespaced')],
    }));
    assertSameObjects(rendered, namespaced, 'deploy/ with namespaced/');
    assert.deepEqual(
      rendered.filter((o) => o.kind === 'ClusterRole' && grantsPods(o)).map(keyOf),
      [],
      'no ClusterRole grants pods',
    );
  });

  test('values reach the manifests', async () => {
    const rendered = objects(
      await templateIn(
        'backup-ops',
        'allowedVeleroNamespaces={velero-b}',
        'replicas=1',
        'leaderElection.enabled=false',
        'concurrency=8',
        'logLevel=debug',
        'image.tag=9.9.9',
        'serviceAccount.name=cbo',
        'watchNamespaces={team-a,team-b}',
        'policy.minScheduleInterval=15m',
        'policy.minRunNowInterval=1m',
        'policy.maxHooks=2',
        'policy.maxFreezeBudget=30s',
        'policy.minRetention=720h',
        'policy.allowedStorageLocations={primary,secondary}',
        'policy.allowedVolumeSnapshotLocations={ebs}',
        'policy.protectedNamespaces={payments}',
      ),
    );
    const deployment = rendered.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        replicas: number;
        template: { spec: { serviceAccountName: string; containers: { image: string; args: string[] }[] } };
      };
    };
    const container = deployment.spec.template.spec.containers[0];
    assert.equal(deployment.spec.replicas, 1);
    assert.equal(deployment.spec.template.spec.serviceAccountName, 'cbo');
    assert.equal(container?.image, 'consistent-backup-operator:9.9.9');
    assert.deepEqual(container?.args, [
      '--velero-namespace=velero',
      '--allowed-velero-namespaces=velero-b',
      '--metrics-bind-address=:8080',
      '--health-probe-bind-address=:8081',
      '--concurrency=8',
      '--log-level=debug',
      '--watch-namespaces=team-a,team-b',
    ]);
    // Each Velero namespace the operator may use gets its Role, each served namespace its pod reader;
    // without leader election, no Lease Role.
    const roles = rendered
      .filter((o) => o.kind === 'Role')
      .map(keyOf)
      .sort();
    assert.deepEqual(roles, [
      'Role team-a/consistent-backup-operator-pods',
      'Role team-b/consistent-backup-operator-pods',
      'Role velero-b/consistent-backup-operator',
      'Role velero/consistent-backup-operator',
      'Role velero/consistent-backup-operator-restores',
    ]);
    assert.ok(!rendered.some((o) => o.kind === 'ClusterRole' && grantsPods(o)), 'no cluster-wide pod reader');
    // Every binding names the release's service account; nothing is left in deploy/'s namespace.
    const subjects = rendered.flatMap(
      (o) => (o as unknown as { subjects?: { name: string; namespace: string }[] }).subjects ?? [],
    );
    assert.ok(subjects.length > 0);
    for (const subject of subjects)
      assert.deepEqual(subject, { kind: 'ServiceAccount', name: 'cbo', namespace: 'backup-ops' });
    assert.ok(!JSON.stringify(rendered).includes(NAMESPACE), `no object mentions ${NAMESPACE}`);
    const policy = rendered.find((o) => o.kind === 'ConsistentBackupPolicy') as unknown as { spec: unknown };
    assert.deepEqual(policy.spec, {
      minScheduleInterval: '15m',
      minRunNowInterval: '1m',
      maxHooks: 2,
      maxFreezeBudget: '30s',
      minRetention: '720h',
      allowedStorageLocations: ['primary', 'secondary'],
      allowedVolumeSnapshotLocations: ['ebs'],
      protectedNamespaces: ['payments'],
    });
    // The fence holds this release's service account, not deploy/'s.
    const fence = rendered.find(
      (o) => keyOf(o) === 'ValidatingAdmissionPolicy /consistentbackup-operator-fence',
    ) as (K8sObject & { spec: { matchConditions: { expression: string }[] } }) | undefined;
    assert.deepEqual(
      fence?.spec.matchConditions.map((c) => c.expression),
      ["request.userInfo.username == 'system:serviceaccount:backup-ops:cbo'"],
    );
  });

  test('admissionPolicies.enabled=false leaves out every admission policy and its binding, nothing else', async () => {
    const admission = (o: K8sObject) => o.apiVersion.startsWith('admissionregistration.k8s.io/');
    const on = objects(await template());
    const off = objects(await template('admissionPolicies.enabled=false'));
    assert.deepEqual(on.filter(admission).map(keyOf).sort(), [
      'ValidatingAdmissionPolicy /consistentbackup-operator-fence',
      'ValidatingAdmissionPolicy /consistentbackup-operator-namespaces',
      'ValidatingAdmissionPolicy /consistentbackup-tenant',
      'ValidatingAdmissionPolicy /consistentbackup-tenant-restore',
      'ValidatingAdmissionPolicyBinding /consistentbackup-operator-fence',
      'ValidatingAdmissionPolicyBinding /consistentbackup-operator-namespaces',
      'ValidatingAdmissionPolicyBinding /consistentbackup-tenant',
      'ValidatingAdmissionPolicyBinding /consistentbackup-tenant-restore',
    ]);
    assert.deepEqual(
      off,
      on.filter((o) => !admission(o)),
    );
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
    // helm install creates the chart's CRDs (its crds/) before the templates: the ConsistentBackupPolicy needs its.
    await kubectl(['apply', '--server-side', '-f', join(chart, 'crds')]);
    await kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/consistentbackuppolicies.consistentbackup.io',
    ]);
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
    assert.ok(accepted.includes('consistentbackuppolicy.consistentbackup.io/cluster'), stdout);
    assert.ok(
      accepted.includes(
        'validatingadmissionpolicy.admissionregistration.k8s.io/consistentbackup-operator-fence',
      ),
      stdout,
    );
  });
});
