// The ConsistentBackup CRD against a real kube-apiserver: it installs the way users install it, kubectl explain
// teaches it, invalid objects are refused with a message naming the field, the examples are accepted, and the
// Velero objects the domain makes from them are accepted by Velero's real CRDs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { BackupEvidence, ConsistentBackup } from '../../src/api/consistent-backup.ts';
import type { VeleroBackup } from '../../src/api/velero.ts';
import { computeStatus } from '../../src/domain/status.ts';
import { summarizePod } from '../../src/domain/pod-summary.ts';
import { desiredVeleroObjects } from '../../src/domain/velero-objects.ts';
import { ensureVeleroCrds } from '../../src/local-cluster/binaries.ts';
import { apiStatus } from '../harness/api-errors.ts';
import { projectCrdDir, startControlPlane, type ControlPlane } from '../harness/control-plane.ts';

const exec = promisify(execFile);
const CRD_NAME = 'consistentbackups.consistentbackup.io';
const NAMESPACE = 'demo';
const config = { veleroNamespace: 'velero' };

/** What Velero's records show of a backup whose hooks each ran once per declared action in one pod. */
function cleanEvidence(backup: VeleroBackup): BackupEvidence {
  const hooks = (backup.spec.hooks?.resources ?? []).map((r) => {
    const runs = (r.pre?.length ?? 0) + (r.post?.length ?? 0);
    return { name: r.name, expected: runs, attempted: runs, failed: 0 };
  });
  return { hooks, podsBackedUp: 1 };
}
const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));

let cp: ControlPlane;
let objects: CustomObjectsApi;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await exec('kubectl', ['--kubeconfig', cp.kubeconfigPath, ...args]);
  return stdout;
}

const cbk = { group: 'consistentbackup.io', version: 'v1alpha1', plural: 'consistentbackups' };

function create(body: object, dryRun?: 'All') {
  return objects.createNamespacedCustomObject({
    ...cbk,
    namespace: NAMESPACE,
    body,
    fieldValidation: 'Strict',
    ...(dryRun && { dryRun }),
  });
}

/** Writes a computed status through the status subresource and checks the API server kept it unchanged. */
async function assertStoredAsComputed(
  cr: ConsistentBackup,
  status: ConsistentBackup['status'],
): Promise<void> {
  const replaced = (await objects.replaceNamespacedCustomObjectStatus({
    ...cbk,
    namespace: NAMESPACE,
    name: cr.metadata?.name ?? '',
    body: { ...cr, status },
  })) as ConsistentBackup;
  assert.deepEqual(replaced.status, status, 'stored as computed');
}

before(async () => {
  // Installed as users do (kubectl server-side apply of crds/), not through the harness.
  cp = await startControlPlane({ installCrds: false, controllerManager: false });
  objects = cp.kubeConfig.makeApiClient(CustomObjectsApi);
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  for (const name of [NAMESPACE, 'velero']) await core.createNamespace({ body: { metadata: { name } } });
});
after(async () => {
  await cp?.stop();
});

describe('installation', () => {
  test('kubectl apply --server-side installs the CRD, which becomes Established with its validation intact', async () => {
    const applied = await kubectl(
      'apply',
      '--server-side',
      '-f',
      projectCrdDir,
      '-f',
      await ensureVeleroCrds(),
    );
    assert.match(
      applied,
      /customresourcedefinition.apiextensions.k8s.io\/consistentbackups.consistentbackup.io serverside-applied/,
    );
    await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all');
    const crd = await cp.kubeConfig
      .makeApiClient(ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: CRD_NAME });
    const established = crd.status?.conditions?.find((c) => c.type === 'Established');
    assert.equal(established?.status, 'True');
    assert.deepEqual(crd.status?.acceptedNames?.shortNames, ['cbk']);
    const version = crd.spec.versions[0];
    assert.equal(version?.name, 'v1alpha1');
    assert.ok(version?.subresources?.status, 'status subresource');
    // Raw JSON: client-node's typed model does not carry the x-kubernetes-* extensions.
    const raw = JSON.parse(await kubectl('get', 'crd', CRD_NAME, '-o', 'json')) as {
      spec: {
        versions: {
          schema: {
            openAPIV3Schema: {
              properties: { spec: { properties: Record<string, Record<string, unknown[]>> } };
            };
          };
        }[];
      };
    };
    const schedule = raw.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties.schedule;
    assert.ok((schedule?.['x-kubernetes-validations']?.length ?? 0) > 5, 'CEL rules survived the install');
  });

  test("`kubectl get backup` stays Velero's: our CRDs claim no category or name of Velero's", async () => {
    const crds = await cp.kubeConfig.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
    const ours = crds.items.filter((c) => c.spec.group === 'consistentbackup.io');
    assert.ok(ours.length >= 2, ours.map((c) => c.metadata?.name).join(', '));
    for (const crd of ours) {
      assert.deepEqual(crd.status?.acceptedNames?.categories ?? [], [], crd.metadata?.name);
    }
    await objects.createNamespacedCustomObject({
      group: 'velero.io',
      version: 'v1',
      plural: 'backups',
      namespace: 'velero',
      body: {
        apiVersion: 'velero.io/v1',
        kind: 'Backup',
        metadata: { name: 'made-by-hand' },
        spec: { includedNamespaces: [NAMESPACE] },
      },
    });
    assert.equal(
      (await kubectl('get', 'backup', '-n', 'velero', '-o', 'name')).trim(),
      'backup.velero.io/made-by-hand',
    );
    await kubectl('delete', 'backup', 'made-by-hand', '-n', 'velero');
  });
});

describe('kubectl explain teaches the API', () => {
  const table: [string, RegExp[]][] = [
    [
      'consistentbackups.spec.hooks',
      [/container\s+<string> -required-/, /Velero runs in this namespace's pods/, /preset\s+<Object>/],
    ],
    ['cbk.spec.hooks.container', [/Velero would otherwise pick the pod's first container/]],
    ['cbk.spec.hooks.pre.onError', [/Velero treats an unset value as Continue/, /Fail/, /Continue/]],
    ['cbk.spec.rpo', [/Recovery point objective/]],
    ['cbk.spec.schedule', [/CRON_TZ|time zone|spec.timeZone/, /@every/]],
    ['cbk.status.lastConsistentBackup', [/recovery point/]],
    ['cbk.spec.onMissingHookTarget', [/Proceed/, /Skip/, /Velero Schedule is paused and resumed/]],
    [
      'cbk.status.conditions',
      [
        /HooksReady/,
        /NoMatchingPods/,
        /PodsExcludedFromBackup/,
        /OverriddenByAnnotation/,
        /UnsafeHookCommand/,
      ],
    ],
    ['cbk.status.hooks', [/Never names pods of other namespaces/, /expectedExecutions/]],
    [
      'cbk.status.history.evidence',
      [/read once through DownloadRequests/, /never from whether the operator watched the backup run/],
    ],
    ['cbk.status.lastBackup.evidence.hooks.failed', [/attributed to the execution logged just before it/]],
  ];
  for (const [path, expected] of table) {
    test(path, async () => {
      // kubectl wraps descriptions: compare with single spaces.
      const out = (await kubectl('explain', path)).replace(/\s+/g, ' ');
      for (const pattern of expected) assert.match(out, pattern);
    });
  }
});

function validConsistentBackup(name: string): ConsistentBackup {
  return {
    apiVersion: 'consistentbackup.io/v1alpha1',
    kind: 'ConsistentBackup',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      schedule: '0 2 * * *',
      timeZone: 'Europe/Berlin',
      rpo: '26h',
      ttl: '720h',
      labelSelector: { matchLabels: { app: 'shop' } },
      includedResources: ['pods', 'persistentvolumeclaims'],
      velero: { namespace: 'velero', storageLocation: 'default', volumeSnapshotLocations: ['csi'] },
      hooks: [
        {
          name: 'db',
          selector: { matchLabels: { app: 'shop', component: 'db' } },
          container: 'postgres',
          pre: [{ command: ['/bin/sh', '-c', 'psql -c CHECKPOINT'], timeout: '30s', onError: 'Fail' }],
          post: [{ command: ['/bin/true'], onError: 'Continue' }],
        },
      ],
    },
  };
}

/** Changes a valid object; `spec` is the same spec, untyped, for values the types would not allow. */
type Mutation = (cr: ConsistentBackup, spec: Record<string, unknown>) => void;
const firstHook = (cr: ConsistentBackup) => cr.spec.hooks![0]! as unknown as Record<string, unknown>;
const firstPre = (cr: ConsistentBackup) => cr.spec.hooks![0]!.pre![0]! as unknown as Record<string, unknown>;
const expression = (cr: ConsistentBackup) =>
  cr.spec.labelSelector!.matchExpressions ?? (cr.spec.labelSelector!.matchExpressions = []);

describe('invalid ConsistentBackups are refused with a message naming the field', () => {
  const table: [string, Mutation, RegExp[], number?][] = [
    // [case, mutation of a valid object, patterns the API server's message must match, HTTP code if not 422]
    ['no spec', (cr) => void delete (cr as { spec?: unknown }).spec, [/spec: Required value/]],
    ['empty schedule', (cr) => (cr.spec.schedule = ''), [/spec\.schedule/, /at least 1 chars/]],
    ['seconds field', (cr) => (cr.spec.schedule = '0 0 2 * * *'), [/spec\.schedule/, /exactly 5 fields/]],
    ['minute 60', (cr) => (cr.spec.schedule = '60 2 * * *'), [/spec\.schedule/, /minute field/]],
    ['hour 24', (cr) => (cr.spec.schedule = '0 24 * * *'), [/spec\.schedule/, /hour field/]],
    ['L in day of month', (cr) => (cr.spec.schedule = '0 2 L * *'), [/spec\.schedule/, /day-of-month field/]],
    ['month 13', (cr) => (cr.spec.schedule = '0 2 1 13 *'), [/spec\.schedule/, /month field/]],
    [
      'day of week 7',
      (cr) => (cr.spec.schedule = '0 2 * * 7'),
      [/spec\.schedule/, /day-of-week field.*Velero rejects 7/],
    ],
    [
      'time zone inside the schedule',
      (cr) => (cr.spec.schedule = 'CRON_TZ=Europe/Berlin 0 2 * * *'),
      [/spec\.schedule/, /set spec\.timeZone instead/],
    ],
    [
      'unknown descriptor',
      (cr) => (cr.spec.schedule = '@fortnightly'),
      [/spec\.schedule/, /unknown descriptor/],
    ],
    [
      '@every below a minute',
      (cr) => (cr.spec.schedule = '@every 30s'),
      [/spec\.schedule/, /@every needs a duration of at least 1m/],
    ],
    [
      'time zone without schedule',
      (cr) => void delete cr.spec.schedule,
      [/spec\.timeZone/, /needs spec\.schedule/],
    ],
    [
      'time zone in lower case',
      (cr) => (cr.spec.timeZone = 'europe/berlin'),
      [/spec\.timeZone/, /should match/],
    ],
    ['time zone Local', (cr) => (cr.spec.timeZone = 'Local'), [/spec\.timeZone/, /must name a zone/]],
    ['rpo in days', (cr) => (cr.spec.rpo = '1d'), [/spec\.rpo/, /must be a duration such as 90m, 26h/]],
    ['rpo below a minute', (cr) => (cr.spec.rpo = '30s'), [/spec\.rpo/, /at least 1m/]],
    [
      'ttl not a duration',
      (cr) => (cr.spec.ttl = 'forever'),
      [/spec\.ttl/, /must be a duration such as 720h/],
    ],
    ['ttl zero', (cr) => (cr.spec.ttl = '0s'), [/spec\.ttl/, /at least 1m/]],
    ['suspend not a boolean', (_, spec) => (spec.suspend = 'yes'), [/spec\.suspend/, /boolean/]],
    [
      'deletionPolicy Orphan',
      (_, spec) => (spec.deletionPolicy = 'Orphan'),
      [/spec\.deletionPolicy/, /Unsupported value: "Orphan"/],
    ],
    [
      'onMissingHookTarget Fail',
      (_, spec) => (spec.onMissingHookTarget = 'Fail'),
      [/spec\.onMissingHookTarget/, /Unsupported value/],
    ],
    [
      'resource in upper case',
      (cr) => (cr.spec.includedResources = ['Pods']),
      [/spec\.includedResources\[0\]/, /should match/],
    ],
    [
      'selector operator Equals',
      (cr) => expression(cr).push({ key: 'a', operator: 'Equals' as 'In', values: ['x'] }),
      [/spec\.labelSelector\.matchExpressions\[0\]\.operator/, /Unsupported value/],
    ],
    [
      'In without values',
      (cr) => expression(cr).push({ key: 'a', operator: 'In' }),
      [/spec\.labelSelector\.matchExpressions\[0\]/, /In and NotIn need at least one value/],
    ],
    [
      'Exists with values',
      (cr) => expression(cr).push({ key: 'a', operator: 'Exists', values: ['x'] }),
      [/spec\.labelSelector\.matchExpressions\[0\]/, /Exists and DoesNotExist take none/],
    ],
    [
      'label value with a space',
      (cr) => (cr.spec.labelSelector = { matchLabels: { app: 'my shop' } }),
      [/spec\.labelSelector\.matchLabels\.app/, /should match/],
    ],
    [
      'label key not a key',
      (cr) => (cr.spec.labelSelector = { matchLabels: { 'not a key': 'x' } }),
      [/spec\.labelSelector\.matchLabels/, /must be label keys/],
    ],
    [
      'Velero namespace not a DNS label',
      (cr) => (cr.spec.velero = { namespace: 'Velero' }),
      [/spec\.velero\.namespace/, /should match/],
    ],
    [
      'duplicate snapshot locations',
      (cr) => (cr.spec.velero = { volumeSnapshotLocations: ['csi', 'csi'] }),
      [/spec\.velero\.volumeSnapshotLocations\[1\]/, /Duplicate value/],
    ],
    [
      'hook without container',
      (cr) => void delete firstHook(cr).container,
      [/spec\.hooks\[0\]\.container: Required value/],
    ],
    [
      'container not a name',
      (cr) => (firstHook(cr).container = 'Postgres'),
      [/spec\.hooks\[0\]\.container/, /should match/],
    ],
    [
      'hook without selector',
      (cr) => void delete firstHook(cr).selector,
      [/spec\.hooks\[0\]\.selector: Required value/],
    ],
    [
      'empty hook selector',
      (cr) => (firstHook(cr).selector = {}),
      [/spec\.hooks\[0\]\.selector/, /must set matchLabels or matchExpressions/],
    ],
    ['hook without name', (cr) => void delete firstHook(cr).name, [/spec\.hooks\[0\]\.name: Required value/]],
    [
      'hook name in upper case',
      (cr) => (firstHook(cr).name = 'DB'),
      [/spec\.hooks\[0\]\.name/, /should match/],
    ],
    [
      'duplicate hook names',
      (cr) => cr.spec.hooks!.push(structuredClone(cr.spec.hooks![0]!)),
      [/spec\.hooks\[1\]: Duplicate value/, /hook names must be unique/],
    ],
    [
      'hook without actions',
      (cr) => (delete firstHook(cr).pre, delete firstHook(cr).post),
      [/spec\.hooks\[0\]/, /needs a preset or at least one pre or post action/],
    ],
    [
      'empty action lists',
      (cr) => ((firstHook(cr).pre = []), (firstHook(cr).post = [])),
      [/spec\.hooks\[0\]/, /needs a preset or at least one pre or post action/],
    ],
    [
      'preset and own actions',
      (cr) => (firstHook(cr).preset = { name: 'postgresql' }),
      [/spec\.hooks\[0\]/, /either a preset or its own pre\/post actions, not both/],
    ],
    [
      'action without command',
      (cr) => void delete firstPre(cr).command,
      [/spec\.hooks\[0\]\.pre\[0\]\.command: Required value/],
    ],
    [
      'empty command',
      (cr) => (firstPre(cr).command = []),
      [/spec\.hooks\[0\]\.pre\[0\]\.command/, /at least 1 items/],
    ],
    [
      'empty executable',
      (cr) => (firstPre(cr).command = ['', '-c', 'x']),
      [/spec\.hooks\[0\]\.pre\[0\]\.command/, /command\[0\] is the executable/],
    ],
    [
      'onError Abort',
      (cr) => (firstPre(cr).onError = 'Abort'),
      [/spec\.hooks\[0\]\.pre\[0\]\.onError/, /Unsupported value: "Abort"/],
    ],
    [
      'post onError lower case',
      (cr) => (cr.spec.hooks![0]!.post![0]!.onError = 'continue' as 'Continue'),
      [/spec\.hooks\[0\]\.post\[0\]\.onError/, /Unsupported value/],
    ],
    [
      'timeout without unit',
      (cr) => (firstPre(cr).timeout = '30'),
      [/spec\.hooks\[0\]\.pre\[0\]\.timeout/, /timeout must be a duration such as 30s/],
    ],
    [
      'timeout zero',
      (cr) => (firstPre(cr).timeout = '0s'),
      [/spec\.hooks\[0\]\.pre\[0\]\.timeout/, /greater than 0s/],
    ],
    [
      'unknown preset',
      (cr) => (
        (firstHook(cr).preset = { name: 'oracle' }),
        delete firstHook(cr).pre,
        delete firstHook(cr).post
      ),
      [/spec\.hooks\[0\]\.preset\.name/, /Unsupported value: "oracle"/],
    ],
    [
      'preset freeze budget in words',
      (cr) => (
        (firstHook(cr).preset = { name: 'mysql', freezeBudget: '1 minute' }),
        delete firstHook(cr).pre,
        delete firstHook(cr).post
      ),
      [/spec\.hooks\[0\]\.preset\.freezeBudget/, /freezeBudget must be a duration such as 30s/],
    ],
    [
      'preset parameter not a string',
      (cr) => (
        (firstHook(cr).preset = { name: 'redis', parameters: { port: 6379 } }),
        delete firstHook(cr).pre,
        delete firstHook(cr).post
      ),
      [/spec\.hooks\[0\]\.preset\.parameters\.port/, /string/],
    ],
    [
      '33 hooks',
      (cr) =>
        (cr.spec.hooks = Array.from({ length: 33 }, (_, i) => ({
          ...structuredClone(cr.spec.hooks![0]!),
          name: `h${i}`,
        }))),
      [/spec\.hooks: Too many: 33: must have at most 32 items/],
    ],
    // Typos are refused too (kubectl's default field validation is Strict as well).
    ['misspelt field', (_, spec) => (spec.scheduel = '0 2 * * *'), [/unknown field "spec\.scheduel"/], 400],
    [
      'name longer than 63 characters',
      (cr) => (cr.metadata!.name = 'n'.repeat(64)),
      [/metadata\.name must be at most 63 characters/],
    ],
  ];

  test('at least 30 cases', () => assert.ok(table.length >= 30, `${table.length}`));

  for (const [name, mutate, patterns, expectedCode = 422] of table) {
    test(name, async () => {
      const cr = validConsistentBackup(`invalid-${table.findIndex(([n]) => n === name)}`);
      mutate(cr, cr.spec as Record<string, unknown>);
      const err = await create(cr, 'All').then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err, 'refused');
      const { code, message } = apiStatus(err);
      assert.equal(code, expectedCode, message);
      for (const pattern of patterns) assert.match(message, pattern);
    });
  }

  test('the valid base object itself is accepted', async () => {
    await create(validConsistentBackup('valid-base'), 'All');
  });
});

async function readExamples(): Promise<[string, ConsistentBackup][]> {
  const files = (await readdir(examplesDir)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(
    files.map(async (f): Promise<[string, ConsistentBackup]> => [
      f,
      parse(await readFile(`${examplesDir}${f}`, 'utf8')) as ConsistentBackup,
    ]),
  );
}

describe('examples', () => {
  const stored = new Map<string, ConsistentBackup>();

  test('every example is accepted, with defaults filled in', async () => {
    const examples = await readExamples();
    assert.ok(examples.length >= 4);
    for (const [file, example] of examples) {
      const created = (await create(example)) as ConsistentBackup;
      assert.ok(created.metadata?.uid, file);
      assert.equal(created.spec.deletionPolicy ?? 'missing', example.spec.deletionPolicy ?? 'Retain', file);
      assert.equal(created.spec.onMissingHookTarget, example.spec.onMissingHookTarget ?? 'Proceed', file);
      for (const hook of created.spec.hooks ?? []) {
        for (const action of [...(hook.pre ?? []), ...(hook.post ?? [])]) {
          assert.ok(action.timeout, `${file}: timeout defaulted`);
          assert.ok(action.onError, `${file}: onError defaulted`);
        }
      }
      stored.set(file, created);
    }
  });

  test("the Velero objects made from them are accepted by Velero's CRDs, nothing pruned", async () => {
    assert.ok(stored.size > 0, 'examples were created');
    let schedules = 0;
    let backups = 0;
    for (const [file, cr] of stored) {
      const withRunNow: ConsistentBackup = {
        ...cr,
        metadata: {
          ...cr.metadata,
          annotations: { ...cr.metadata?.annotations, 'consistentbackup.io/run-now': 'dry-run-1' },
        },
      };
      const desired = desiredVeleroObjects(withRunNow, config);
      assert.ok(desired.ok, `${file}: ${JSON.stringify(!desired.ok && desired.problems)}`);
      const velero = { group: 'velero.io', version: 'v1', namespace: desired.veleroNamespace };
      const sent = [
        ...(desired.schedule ? [{ plural: 'schedules', body: desired.schedule }] : []),
        ...desired.backups.map((b) => ({ plural: 'backups', body: b.backup })),
      ];
      for (const { plural, body } of sent) {
        const accepted = (await objects.createNamespacedCustomObject({
          ...velero,
          plural,
          body,
          dryRun: 'All',
          fieldValidation: 'Strict',
        })) as VeleroBackup;
        assert.deepEqual(accepted.spec, body.spec, `${file}: ${plural} stored as sent`);
        assert.deepEqual(accepted.metadata.labels, body.metadata.labels, `${file}: labels`);
        if (plural === 'schedules') schedules++;
        else backups++;
      }
    }
    assert.ok(schedules >= 3 && backups >= 5, `${schedules} schedules, ${backups} backups`);
  });

  test('the status the domain computes is accepted by the status subresource and shown by kubectl get cbk', async () => {
    const cr = stored.get('scheduled-postgresql.yaml');
    assert.ok(cr?.metadata?.name, 'example stored');
    const desired = desiredVeleroObjects(cr, config);
    assert.ok(desired.ok && desired.schedule);
    const scheduleName = desired.schedule.metadata.name ?? '';
    const start = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const backup: VeleroBackup = {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: {
        name: `${scheduleName}-20250601013000`,
        namespace: 'velero',
        creationTimestamp: start,
        labels: desired.schedule.spec.template.metadata?.labels ?? {},
      },
      spec: desired.schedule.spec.template,
      status: { phase: 'Completed', startTimestamp: start, completionTimestamp: start },
    };
    // A Completed backup with hooks is graded from Velero's records of it, which the reconciler reads.
    const evidence = cleanEvidence(backup);
    const attempted = (evidence.hooks ?? []).reduce((n, h) => n + (h.attempted ?? 0), 0);
    assert.ok(attempted > 0, 'the example declares hooks');
    backup.status = { ...backup.status, hookStatus: { hooksAttempted: attempted } };
    const schedule = { ...desired.schedule, status: { phase: 'Enabled' as const } };
    const { status } = computeStatus({
      cr,
      config,
      schedule,
      backups: [backup],
      evidence: new Map([[backup.metadata.name ?? '', evidence]]),
      now: Date.now(),
    });
    assert.deepEqual(status.lastBackup?.evidence, evidence);
    await assertStoredAsComputed(cr, status);

    const table = await kubectl('get', 'cbk', '-n', NAMESPACE, cr.metadata.name);
    const [header, row] = table.trim().split('\n');
    assert.match(
      header ?? '',
      /^NAME\s+SCHEDULE\s+PHASE\s+LAST RUN\s+CONSISTENCY\s+RPO MET\s+RECOVERY POINT\s+NEXT RUN\s+PROBLEM\s+AGE$/,
    );
    assert.match(
      row ?? '',
      /^orders-db-nightly\s+30 1 \* \* \*\s+Scheduled\s+Completed\s+AppConsistent\s+True\s+(59m|60m|61m)\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+\S+$/,
    );
  });
  test("a status with hook preflight results and every field of Velero's evidence is accepted as computed", async () => {
    const cr = stored.get('mysql-held-lock.yaml');
    assert.ok(cr?.metadata?.name, 'example stored');
    const desired = desiredVeleroObjects(cr, config);
    assert.ok(desired.ok && desired.schedule);
    const template = desired.schedule.spec.template;
    const backup: VeleroBackup = {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: {
        name: `${desired.schedule.metadata.name}-20250601010000`,
        namespace: 'velero',
        creationTimestamp: '2025-06-01T01:00:00Z',
        labels: template.metadata?.labels ?? {},
      },
      spec: template,
      status: {
        phase: 'PartiallyFailed',
        startTimestamp: '2025-06-01T01:00:01Z',
        completionTimestamp: '2025-06-01T01:00:09Z',
        hookStatus: { hooksAttempted: 2, hooksFailed: 2 },
        errors: 3,
      },
    };
    const hook = template.hooks?.resources?.[0]?.name ?? '';
    const evidence: BackupEvidence = {
      hooks: [{ name: hook, expected: 2, attempted: 1, failed: 1 }],
      unattributedFailures: 1,
      podsBackedUp: 0,
      podsLeftOut: ['orders-mysql-0'],
      markers: [`${hook}: cbo.freeze preset=mysql file=binlog.000003 position=157`],
    };
    const pods = [
      summarizePod({
        metadata: { namespace: NAMESPACE, name: 'orders-mysql-0', labels: { app: 'orders-mysql' } },
        spec: { containers: [{ name: 'mysql' }] },
        status: { phase: 'Pending' },
      }),
    ];
    const { status } = computeStatus({
      cr,
      config,
      backups: [backup],
      pods,
      evidence: new Map([[backup.metadata.name ?? '', evidence]]),
      now: Date.now(),
    });
    assert.equal(status.hooks?.[0]?.matchedPodCount, 1);
    assert.deepEqual(status.history?.[0]?.evidence, evidence);
    assert.equal(status.lastBackup?.consistency, 'Inconsistent');
    await assertStoredAsComputed(cr, status);
  });
});
