// Proves that the Velero stand-in (test/support/velero-standin.ts) reacts to objects on a real API server the
// way Velero v1.18 does, since the operator's integration tests trust it to play Velero's part.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';
import type { BackupEvidence } from '../../src/api/consistent-backup.ts';
import type { VeleroBackup as OperatorVeleroBackup } from '../../src/api/velero.ts';
import { summarizeEvidence, type VeleroRecords } from '../../src/domain/index.ts';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.ts';
import { waitFor } from '../harness/wait.ts';
import { createFakePod, ensureNamespace } from '../support/fake-pods.ts';
import { VeleroStandIn, type StandInEvent } from '../support/velero-standin.ts';
import type {
  BackupResourceHookSpec,
  BackupSpec,
  VeleroBackup,
  VeleroDeleteBackupRequest,
  VeleroDownloadRequest,
  VeleroSchedule,
} from '../support/velero-types.ts';

const NS = 'velero';
const TERMINAL = ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'];
let cp: ControlPlane;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let standIn: VeleroStandIn;
/** Every phase each Backup went through, as a client watching the API saw it. */
const phasesSeen = new Map<string, string[]>();
const dbrPhasesSeen = new Map<string, string[]>();
const watches: AbortController[] = [];

/** Everything both stand-in instances recorded; STANDIN_DEBUG=1 also prints it. */
const standInEvents: StandInEvent[] = [];
const onEvent = (e: StandInEvent) => {
  standInEvents.push(e);
  if (process.env.STANDIN_DEBUG)
    console.log(`[velero stand-in ${e.at.toISOString()}] ${e.kind} ${e.name}: ${e.message}`);
};

const ref = (plural: string) => ({ group: 'velero.io', version: 'v1', namespace: NS, plural });

async function watchPhases(plural: string, into: Map<string, string[]>): Promise<void> {
  const path = `/apis/velero.io/v1/namespaces/${NS}/${plural}`;
  const onEvent = (type: string, obj: VeleroBackup) => {
    const seen = into.get(obj.metadata.name) ?? [];
    const phase = type === 'DELETED' ? 'DELETED' : (obj.status?.phase ?? '');
    if (seen.at(-1) !== phase) seen.push(phase);
    into.set(obj.metadata.name, seen);
  };
  watches.push(await new Watch(cp.kubeConfig).watch(path, {}, onEvent, () => undefined));
}

before(async () => {
  cp = await startControlPlane();
  core = cp.kubeConfig.makeApiClient(CoreV1Api);
  custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
  standIn = new VeleroStandIn(cp.kubeConfig, { phaseDelayMs: 50, onEvent });
  await standIn.start();
  await standIn.ensureStorageLocation('default');
  await watchPhases('backups', phasesSeen);
  await watchPhases('deletebackuprequests', dbrPhasesSeen);
});

after(async () => {
  for (const w of watches) w.abort();
  await standIn?.stop();
  await cp?.stop();
});

async function createBackup(name: string, spec: BackupSpec, labels?: Record<string, string>) {
  const body = {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name, namespace: NS, labels },
    spec,
  };
  await custom.createNamespacedCustomObject({ ...ref('backups'), body });
}

async function getBackup(name: string): Promise<VeleroBackup | undefined> {
  try {
    return (await custom.getNamespacedCustomObject({ ...ref('backups'), name })) as VeleroBackup;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

async function finished(name: string): Promise<VeleroBackup> {
  return waitFor(
    async () => {
      const backup = await getBackup(name);
      return TERMINAL.includes(backup?.status?.phase ?? '') && backup;
    },
    { what: `backup ${name} to finish` },
  );
}

const execHook = (container: string | undefined, onError: 'Continue' | 'Fail', command = ['/bin/true']) => ({
  exec: { ...(container ? { container } : {}), command, onError, timeout: '30s' },
});

function dbHooks(namespace: string, overrides: Partial<BackupResourceHookSpec> = {}): BackupSpec['hooks'] {
  return {
    resources: [
      {
        name: 'db',
        includedNamespaces: [namespace],
        labelSelector: { matchLabels: { app: 'db' } },
        pre: [execHook('db', 'Continue')],
        post: [execHook('db', 'Continue')],
        ...overrides,
      },
    ],
  };
}

test('a Backup gets Velero defaults written into its spec and walks the v1.18 phases to Completed', async () => {
  await createBackup('plain', { includedNamespaces: ['default'] });
  const backup = await finished('plain');

  assert.deepEqual(phasesSeen.get('plain'), [
    '',
    'Queued',
    'ReadyToStart',
    'InProgress',
    'Finalizing',
    'Completed',
  ]);
  assert.equal(backup.spec?.ttl, '720h0m0s');
  assert.equal(backup.spec?.storageLocation, 'default');
  assert.equal(backup.spec?.csiSnapshotTimeout, '10m0s');
  assert.equal(backup.spec?.itemOperationTimeout, '4h0m0s');
  assert.equal(backup.metadata.labels?.['velero.io/storage-location'], 'default');
  const status = backup.status ?? {};
  assert.equal(status.version, 1);
  assert.equal(status.formatVersion, '1.1.0');
  assert.equal(status.queuePosition, undefined);
  const start = Date.parse(status.startTimestamp ?? '');
  assert.ok(start <= Date.parse(status.completionTimestamp ?? ''));
  assert.equal(Date.parse(status.expiration ?? '') - start, 720 * 3600 * 1000);
  assert.deepEqual(status.hookStatus, {}, 'Velero omits zero hook counts');
  // Written through the main resource: these CRDs have no status subresource.
  const velero = backup.metadata.managedFields?.find((f) => f.manager === 'velero-server');
  assert.equal(velero?.operation, 'Update');
  assert.equal(velero?.subresource, undefined);
});

test('a finished Backup is never processed again, whatever is later written to it', async () => {
  const done = await finished('plain');
  const relabelled = (await custom.patchNamespacedCustomObject(
    { ...ref('backups'), name: 'plain', body: { metadata: { labels: { touched: 'yes' } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as VeleroBackup;
  // Backups are processed in order, so once a later one finished the stand-in has seen the relabelling.
  await createBackup('later', { includedNamespaces: ['default'] });
  await finished('later');
  const plain = await getBackup('plain');
  assert.equal(plain?.metadata.resourceVersion, relabelled.metadata.resourceVersion);
  assert.deepEqual(plain?.status, done.status);
});

test('values the creator set stay as written (Velero only fills what Go decodes as zero)', async () => {
  await createBackup('own-values', { includedNamespaces: ['default'], ttl: '24h', csiSnapshotTimeout: '0s' });
  const backup = await finished('own-values');
  assert.equal(backup.status?.phase, 'Completed');
  assert.equal(backup.spec?.ttl, '24h');
  assert.equal(backup.spec?.csiSnapshotTimeout, '10m0s');
  const status = backup.status ?? {};
  assert.equal(
    Date.parse(status.expiration ?? '') - Date.parse(status.startTimestamp ?? ''),
    24 * 3600 * 1000,
  );
});

test('a backup to a storage location that is Unavailable, ReadOnly or missing ends FailedValidation', async () => {
  await standIn.ensureStorageLocation('offline', { phase: 'Unavailable' });
  await standIn.ensureStorageLocation('archive', { accessMode: 'ReadOnly' });
  await createBackup('to-offline', { storageLocation: 'offline' });
  await createBackup('to-archive', { storageLocation: 'archive' });
  await createBackup('to-nowhere', { storageLocation: 'nowhere' });

  const offline = await finished('to-offline');
  assert.equal(offline.status?.phase, 'FailedValidation');
  assert.deepEqual(offline.status?.validationErrors, [
    "backup can't be created because BackupStorageLocation offline is in Unavailable status.",
  ]);
  assert.equal(offline.status?.startTimestamp, undefined);
  assert.equal(offline.metadata.labels?.['velero.io/storage-location'], 'offline');
  const archive = await finished('to-archive');
  assert.deepEqual(archive.status?.validationErrors, [
    "backup can't be created because backup storage location archive is currently in read-only mode",
  ]);
  const nowhere = await finished('to-nowhere');
  assert.match(nowhere.status?.validationErrors?.[0] ?? '', /the default nowhere was not found/);
});

test('one pre and one post hook per included pod; other pods, namespaces and excluded pods get none', async () => {
  await ensureNamespace(core, 'shop');
  await ensureNamespace(core, 'elsewhere');
  await createFakePod(core, {
    namespace: 'shop',
    name: 'db-0',
    labels: { app: 'db' },
    containers: ['db', 'log'],
  });
  await createFakePod(core, { namespace: 'shop', name: 'db-1', labels: { app: 'db' }, containers: ['db'] });
  await createFakePod(core, { namespace: 'shop', name: 'web-0', labels: { app: 'web' }, containers: ['db'] });
  const excluded = { app: 'db', 'velero.io/exclude-from-backup': 'true' };
  await createFakePod(core, { namespace: 'shop', name: 'db-x', labels: excluded, containers: ['db'] });
  await createFakePod(core, {
    namespace: 'elsewhere',
    name: 'db-0',
    labels: { app: 'db' },
    containers: ['db'],
  });

  await createBackup('hooks-ok', { includedNamespaces: ['shop'], hooks: dbHooks('shop') });
  const backup = await finished('hooks-ok');
  assert.equal(backup.status?.phase, 'Completed');
  assert.deepEqual(backup.status?.hookStatus, { hooksAttempted: 4 });
  assert.deepEqual(
    standIn.hookRuns('hooks-ok').map((r) => `${r.pod} ${r.phase} ${r.container} ${r.outcome}`),
    [
      'shop/db-0 pre db succeeded',
      'shop/db-0 post db succeeded',
      'shop/db-1 pre db succeeded',
      'shop/db-1 post db succeeded',
    ],
  );

  await createBackup('hooks-no-pods', {
    includedNamespaces: ['shop'],
    excludedResources: ['pods'],
    hooks: dbHooks('shop'),
  });
  assert.deepEqual(
    (await finished('hooks-no-pods')).status?.hookStatus,
    {},
    'a backup without pods runs no hook',
  );
  await createBackup('hooks-selector', {
    includedNamespaces: ['shop'],
    labelSelector: { matchLabels: { app: 'web' } },
    hooks: dbHooks('shop'),
  });
  assert.deepEqual((await finished('hooks-selector')).status?.hookStatus, {});
});

test('a Pending pod fails its hooks; a failed onError=Fail pre hook skips the post hooks; PartiallyFailed', async () => {
  await ensureNamespace(core, 'pending');
  await createFakePod(core, {
    namespace: 'pending',
    name: 'db-0',
    labels: { app: 'db' },
    containers: ['db'],
    phase: 'Pending',
  });
  await createBackup('hooks-pending', {
    includedNamespaces: ['pending'],
    hooks: dbHooks('pending', { pre: [execHook('db', 'Fail')] }),
  });
  const backup = await finished('hooks-pending');
  assert.equal(backup.status?.phase, 'PartiallyFailed');
  assert.deepEqual(backup.status?.hookStatus, { hooksAttempted: 1, hooksFailed: 1 });
  // One line for the hook, one for the pod's failed pre phase.
  assert.equal(backup.status?.errors, 2);
  const [run] = standIn.hookRuns('hooks-pending');
  assert.equal(run?.error, 'pod db-0 does not have a host assigned');
});

test('a hook naming a missing container fails with "no such container"; onError=Continue keeps the post hook', async () => {
  await ensureNamespace(core, 'sidecar');
  await createFakePod(core, {
    namespace: 'sidecar',
    name: 'db-0',
    labels: { app: 'db' },
    containers: ['db'],
  });
  await createBackup('hooks-container', {
    includedNamespaces: ['sidecar'],
    hooks: dbHooks('sidecar', { pre: [execHook('nope', 'Continue')] }),
  });
  const backup = await finished('hooks-container');
  assert.equal(backup.status?.phase, 'PartiallyFailed');
  assert.deepEqual(backup.status?.hookStatus, { hooksAttempted: 2, hooksFailed: 1 });
  assert.equal(backup.status?.errors, 1);
  assert.equal(standIn.hookRuns('hooks-container')[0]?.error, 'no such container: "nope"');
});

test('hook annotations on a pod replace the spec hooks of that phase only', async () => {
  await ensureNamespace(core, 'annotated');
  await createFakePod(core, {
    namespace: 'annotated',
    name: 'db-0',
    labels: { app: 'db' },
    containers: ['db', 'agent'],
    annotations: {
      'pre.hook.backup.velero.io/command': '["/bin/sh", "-c", "fsfreeze -f /data"]',
      'pre.hook.backup.velero.io/container': 'agent',
    },
  });
  await createBackup('hooks-annotated', {
    includedNamespaces: ['annotated'],
    hooks: dbHooks('annotated', { pre: [execHook('db', 'Continue'), execHook('db', 'Continue')] }),
  });
  const backup = await finished('hooks-annotated');
  assert.equal(backup.status?.phase, 'Completed');
  assert.deepEqual(backup.status?.hookStatus, { hooksAttempted: 2 });
  assert.deepEqual(
    standIn.hookRuns('hooks-annotated').map((r) => [r.phase, r.source, r.container, r.command.join(' ')]),
    [
      ['pre', 'annotation', 'agent', '/bin/sh -c fsfreeze -f /data'],
      ['post', 'spec', 'db', '/bin/true'],
    ],
  );
});

test('failHooks: after an onError=Fail failure the rest of the phase is counted, not run, and post is skipped', async () => {
  await ensureNamespace(core, 'injected');
  await createFakePod(core, {
    namespace: 'injected',
    name: 'db-0',
    labels: { app: 'db' },
    containers: ['db'],
  });
  await createFakePod(core, {
    namespace: 'injected',
    name: 'done-0',
    labels: { app: 'db' },
    phase: 'Succeeded',
  });
  standIn.failHooks(
    (_backup, pod, hook) => pod.metadata?.name === 'db-0' && hook.phase === 'pre' && hook.index === 0,
  );
  try {
    await createBackup('hooks-injected', {
      includedNamespaces: ['injected'],
      hooks: dbHooks('injected', {
        pre: [execHook(undefined, 'Fail', ['/bin/false']), execHook(undefined, 'Continue')],
        post: [execHook(undefined, 'Continue')],
      }),
    });
    const backup = await finished('hooks-injected');
    assert.equal(backup.status?.phase, 'PartiallyFailed');
    // db-0: pre[0] failed, pre[1] counted but not run, no post. done-0 (Succeeded): counted, never failed.
    assert.deepEqual(backup.status?.hookStatus, { hooksAttempted: 5, hooksFailed: 1 });
    assert.deepEqual(
      standIn.hookRuns('hooks-injected').map((r) => `${r.pod} ${r.phase}[${r.index}] ${r.outcome}`),
      [
        'injected/db-0 pre[0] failed',
        'injected/db-0 pre[1] not-run',
        'injected/done-0 pre[0] pod-finished',
        'injected/done-0 pre[1] pod-finished',
        'injected/done-0 post[0] pod-finished',
      ],
    );
  } finally {
    standIn.failHooks();
  }
});

async function downloadRequest(backup: string, kind: string): Promise<VeleroDownloadRequest> {
  const body = {
    apiVersion: 'velero.io/v1',
    kind: 'DownloadRequest',
    metadata: { generateName: `${backup}-`, namespace: NS },
    spec: { target: { kind, name: backup } },
  };
  return (await custom.createNamespacedCustomObject({
    ...ref('downloadrequests'),
    body,
  })) as VeleroDownloadRequest;
}

async function processed(name: string): Promise<VeleroDownloadRequest> {
  return waitFor(
    async () => {
      const request = (await custom.getNamespacedCustomObject({
        ...ref('downloadrequests'),
        name,
      })) as VeleroDownloadRequest;
      return request.status?.phase === 'Processed' && request;
    },
    { what: `DownloadRequest ${name} to be Processed` },
  );
}

/** A record of a backup the way a client reads it: DownloadRequest, signed URL, gunzip. */
async function download(backup: string, kind: string): Promise<string> {
  const request = await processed((await downloadRequest(backup, kind)).metadata.name);
  const response = await fetch(request.status?.downloadURL ?? '');
  assert.equal(response.status, 200, `${kind} of ${backup}`);
  assert.equal(response.headers.get('content-encoding'), null, 'stored gzip, not transfer-encoded');
  await custom.deleteNamespacedCustomObject({ ...ref('downloadrequests'), name: request.metadata.name });
  return gunzipSync(Buffer.from(await response.arrayBuffer())).toString('utf8');
}

async function veleroRecords(backup: string): Promise<VeleroRecords> {
  const [log, results, resourceList] = await Promise.all([
    download(backup, 'BackupLog'),
    download(backup, 'BackupResults'),
    download(backup, 'BackupResourceList'),
  ]);
  return { log, results, resourceList };
}

/** What the operator keeps of a backup's records (src/domain/evidence). */
async function evidence(name: string) {
  const backup = await finished(name);
  const records = await veleroRecords(name);
  return { records, evidence: summarizeEvidence(backup as unknown as OperatorVeleroBackup, records), backup };
}

const resultErrors = (results: string): string[] =>
  (JSON.parse(results) as { errors: { velero?: string[] } }).errors.velero ?? [];

const totalAttempted = (e: BackupEvidence) => (e.hooks ?? []).reduce((n, h) => n + (h.attempted ?? 0), 0);
const totalFailed = (e: BackupEvidence) => (e.hooks ?? []).reduce((n, h) => n + (h.failed ?? 0), 0);

test('DownloadRequests: Processed with a 10-minute signed loopback URL serving the gzip log, results and resource list', async () => {
  const request = await downloadRequest('hooks-ok', 'BackupLog');
  const done = await processed(request.metadata.name);
  const url = new URL(done.status?.downloadURL ?? '');
  assert.equal(url.hostname, '127.0.0.1');
  assert.match(url.pathname, /^\/velero-stand-in\/backups\/hooks-ok\/hooks-ok-logs\.gz$/);
  const ttl = Date.parse(done.status?.expiration ?? '') - Date.now();
  assert.ok(ttl > 9 * 60_000 && ttl <= 10 * 60_000, `expires in ${ttl} ms`);
  const forged = new URL(url);
  forged.searchParams.set('X-Amz-Signature', '0'.repeat(64));
  assert.equal((await fetch(forged)).status, 403, 'a URL is only good with its signature');
  const elsewhere = new URL(url);
  elsewhere.pathname = elsewhere.pathname.replace('logs', 'results');
  assert.equal((await fetch(elsewhere)).status, 403, 'a signature is only good for its object');

  const { records, evidence: read, backup } = await evidence('hooks-ok');
  const runs = records.log.split('\n').filter((l) => l.includes('msg="running exec hook"'));
  assert.equal(runs.length, 4);
  assert.match(
    runs[0] ?? '',
    /^time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" level=info msg="running exec hook" backup=velero\/hooks-ok hookCommand="\[\/bin\/true\]" hookContainer=db hookName=db hookOnError=Continue hookPhase=pre hookSource=spec hookTimeout="\{30s\}" hookType=exec logSource="pkg\/podexec\/pod_command_executor\.go:133"$/,
  );
  assert.equal(records.log.split('\n').filter((l) => l.includes('msg="stdout: "')).length, 4);
  assert.equal(records.results, '{"errors":{},"warnings":{}}');
  assert.deepEqual(JSON.parse(records.resourceList), {
    'v1/Namespace': ['shop'],
    'v1/Pod': ['shop/db-0', 'shop/db-1', 'shop/web-0'],
  });
  assert.deepEqual(read, { hooks: [{ name: 'db', expected: 4, attempted: 4, failed: 0 }], podsBackedUp: 3 });
  assert.equal(totalAttempted(read), backup.status?.hookStatus?.hooksAttempted);
});

test('the records of failed hooks agree with hookStatus and errors the way Velero logs and files them', async () => {
  // A Pending pod's exec is started and fails; onError=Fail fails its pre phase, naming the pod in the results.
  const pending = await evidence('hooks-pending');
  assert.deepEqual(resultErrors(pending.records.results), [
    ' message: /Error executing hook error: /pod db-0 does not have a host assigned',
    ' name: /db-0 message: /Error running pre hooks for pod error: /pod db-0 does not have a host assigned',
  ]);
  assert.equal(resultErrors(pending.records.results).length, pending.backup.status?.errors);
  assert.deepEqual(pending.evidence.hooks, [{ name: 'db', expected: 2, attempted: 1, failed: 1 }]);
  // Velero marks the left-out pod backed up (so that it is skipped): it stays in the resource list.
  assert.deepEqual(JSON.parse(pending.records.resourceList)['v1/Pod'], ['pending/db-0']);
  assert.match(pending.records.log, /msg="Skipping item because it's already been backed up\." .*name=db-0/);

  // A missing container fails before "running exec hook"; the error carries where Velero made it.
  const container = await evidence('hooks-container');
  const errorLine = container.records.log.split('\n').find((l) => l.includes('Error executing hook'));
  assert.match(
    errorLine ?? '',
    / level=error msg="Error executing hook" backup=velero\/hooks-container error="no such container: \\"nope\\"" error\.file="[^"]+pod_command_executor\.go:193" error\.function=github\.com\/vmware-tanzu\/velero\/pkg\/podexec\.ensureContainerExists hookPhase=pre hookSource=spec hookType=exec logSource="internal\/hook\/item_hook_handler\.go:288"$/,
  );
  assert.equal(container.records.log.match(/running exec hook/g)?.length, 1, 'only the post hook started');
  assert.deepEqual(resultErrors(container.records.results), [
    ' message: /Error executing hook error: /no such container: "nope"',
  ]);
  assert.deepEqual(container.evidence.hooks, [{ name: 'db', expected: 2, attempted: 2, failed: 1 }]);
  assert.equal(totalAttempted(container.evidence), container.backup.status?.hookStatus?.hooksAttempted);
  assert.equal(totalFailed(container.evidence), container.backup.status?.hookStatus?.hooksFailed);

  // An annotation hook is logged as "<from-annotation>", hookSource annotation, onError unset logged as Fail.
  const annotated = await evidence('hooks-annotated');
  assert.match(
    annotated.records.log,
    /msg="running exec hook" backup=velero\/hooks-annotated hookCommand="\[\/bin\/sh -c fsfreeze -f \/data\]" hookContainer=agent hookName="<from-annotation>" hookOnError=Fail hookPhase=pre hookSource=annotation /,
  );
  assert.deepEqual(annotated.evidence.hooks, [
    // The annotation replaced db's two pre actions in the pod: the operator sees db short of them.
    { name: 'db', expected: 3, attempted: 1, failed: 0 },
    { name: '<from-annotation>', expected: 1, attempted: 1, failed: 0 },
  ]);
  assert.equal(totalAttempted(annotated.evidence), annotated.backup.status?.hookStatus?.hooksAttempted);

  // Velero counts hooks it never logs as run: those skipped after a Fail failure (the evidence infers db-0's
  // pre[1] from the declared actions) and those of a finished pod (logged only as "Pod entered phase"), which
  // the evidence counts as attempted too, so it adds up to Velero's count.
  const injected = await evidence('hooks-injected');
  assert.deepEqual(injected.backup.status?.hookStatus, { hooksAttempted: 5, hooksFailed: 1 });
  assert.equal(injected.records.log.match(/running exec hook/g)?.length, 1);
  const finishedPod = injected.records.log.match(
    /msg="Pod entered phase Succeeded before some post-backup exec hooks ran" backup=velero\/hooks-injected hookCommand=\S+ hookContainer=main hookName=db /g,
  );
  assert.equal(finishedPod?.length, 3);
  // Two pods reached (db-0 and the finished one), three actions each; db-0's post never ran after its pre failed.
  assert.deepEqual(injected.evidence.hooks, [{ name: 'db', expected: 6, attempted: 5, failed: 1 }]);
  assert.equal(totalAttempted(injected.evidence), 5);
  assert.deepEqual(resultErrors(injected.records.results), [
    ' message: /Error executing hook error: /command terminated with exit code 1',
    ' name: /db-0 message: /Error running pre hooks for pod error: /command terminated with exit code 1',
  ]);
});

test('setHookOutput puts what hooks print in the log (cbo. markers); a timed-out hook prints nothing', async () => {
  await ensureNamespace(core, 'printing');
  for (const name of ['db-0', 'db-1']) {
    await createFakePod(core, { namespace: 'printing', name, labels: { app: 'db' }, containers: ['db'] });
  }
  standIn.setHookOutput((_backup, pod, hook) =>
    hook.phase === 'pre'
      ? `cbo.checkpoint preset=postgresql lsn=0/15B3D8${pod.metadata?.name?.at(-1)}\nCHECKPOINT`
      : undefined,
  );
  standIn.failHooks(
    (_backup, pod, hook) => pod.metadata?.name === 'db-1' && hook.phase === 'post' && 'timeout',
  );
  try {
    await createBackup('printing', {
      includedNamespaces: ['printing'],
      hooks: dbHooks('printing', {
        post: [{ exec: { container: 'db', command: ['/bin/true'], timeout: '2m' } }],
      }),
    });
    const { records, evidence: read, backup } = await evidence('printing');
    assert.equal(backup.status?.phase, 'PartiallyFailed');
    assert.deepEqual(backup.status?.hookStatus, { hooksAttempted: 4, hooksFailed: 1 });
    assert.match(
      records.log,
      /msg="stdout: cbo\.checkpoint preset=postgresql lsn=0\/15B3D80\\nCHECKPOINT" backup=velero\/printing /,
    );
    assert.deepEqual(read.markers, [
      'db: cbo.checkpoint preset=postgresql lsn=0/15B3D80',
      'db: cbo.checkpoint preset=postgresql lsn=0/15B3D81',
    ]);
    const tail = records.log.trimEnd().split('\n').slice(-3);
    assert.match(
      tail[0] ?? '',
      /msg="running exec hook" .*hookOnError=Fail hookPhase=post .*hookTimeout="\{2m0s\}"/,
    );
    assert.match(tail[1] ?? '', /level=error msg="Error executing hook" .*error="timed out after 2m0s"/);
    assert.deepEqual(read.hooks, [{ name: 'db', expected: 4, attempted: 4, failed: 1 }]);
  } finally {
    standIn.setHookOutput();
    standIn.failHooks();
  }
});

test('a DownloadRequest for a missing backup is never processed; failRecords makes the storage answer 500', async () => {
  const ghost = await downloadRequest('no-such-backup', 'BackupLog');
  const left = await waitFor(
    async () => {
      const r = (await custom.getNamespacedCustomObject({
        ...ref('downloadrequests'),
        name: ghost.metadata.name,
      })) as VeleroDownloadRequest;
      return r.status?.expiration !== undefined && r;
    },
    { what: 'the stand-in to look at the request' },
  );
  assert.equal(left.status?.phase, undefined);
  assert.equal(left.status?.downloadURL, undefined);

  standIn.failRecords((backup, kind) => backup === 'hooks-ok' && kind === 'BackupResults');
  try {
    const request = await processed((await downloadRequest('hooks-ok', 'BackupResults')).metadata.name);
    assert.equal((await fetch(request.status?.downloadURL ?? '')).status, 500);
  } finally {
    standIn.failRecords();
  }
  assert.equal(await download('hooks-ok', 'BackupResults'), '{"errors":{},"warnings":{}}');

  // Records are uploaded when the item walk ends: a held backup's URL answers 404 until then.
  const hold = standIn.holdBackups((b) => b.metadata.name === 'uploading');
  await createBackup('uploading', { includedNamespaces: ['default'] });
  await hold.reached();
  const early = await processed((await downloadRequest('uploading', 'BackupLog')).metadata.name);
  assert.equal((await fetch(early.status?.downloadURL ?? '')).status, 404);
  hold.release();
  await finished('uploading');
  assert.match(await download('uploading', 'BackupLog'), /msg="Backed up a total of \d+ items"/);
});

test('failNextBackups ends the next backups Failed or PartiallyFailed', async () => {
  standIn.failNextBackups({ phase: 'Failed', match: (b) => b.metadata.name === 'doomed' });
  standIn.failNextBackups({ phase: 'PartiallyFailed', count: 1 });
  await createBackup('doomed', { includedNamespaces: ['default'] });
  const doomed = await finished('doomed');
  assert.equal(doomed.status?.phase, 'Failed');
  assert.match(doomed.status?.failureReason ?? '', /stand-in injected a fatal backup error/);
  assert.ok(doomed.status?.completionTimestamp);
  assert.deepEqual(phasesSeen.get('doomed')?.slice(-2), ['InProgress', 'Failed']);

  await createBackup('partial', { includedNamespaces: ['default'] });
  const partial = await finished('partial');
  assert.equal(partial.status?.phase, 'PartiallyFailed');
  assert.equal(partial.status?.errors, 1);
  assert.deepEqual(phasesSeen.get('partial')?.slice(-2), ['FinalizingPartiallyFailed', 'PartiallyFailed']);

  await createBackup('after-injections', { includedNamespaces: ['default'] });
  assert.equal((await finished('after-injections')).status?.phase, 'Completed');
});

test('a held backup stays InProgress while the next one waits Queued; release finishes both in order', async () => {
  const hold = standIn.holdBackups((b) => b.metadata.name === 'long');
  await createBackup('long', { includedNamespaces: ['default'] });
  assert.equal(await hold.reached(), 'long');
  await createBackup('next', { includedNamespaces: ['default'] });
  const queued = await waitFor(
    async () => (await getBackup('next'))?.status?.phase === 'Queued' && getBackup('next'),
    {
      what: 'backup next to be Queued',
    },
  );
  assert.equal(queued?.status?.queuePosition, 1);
  assert.equal((await getBackup('long'))?.status?.phase, 'InProgress');
  hold.release();
  assert.equal((await finished('long')).status?.phase, 'Completed');
  assert.equal((await finished('next')).status?.phase, 'Completed');
  const long = await getBackup('long');
  const next = await getBackup('next');
  assert.ok(
    Date.parse(long?.status?.completionTimestamp ?? '') <= Date.parse(next?.status?.startTimestamp ?? ''),
  );
});

async function createSchedule(name: string, spec: VeleroSchedule['spec'], labels?: Record<string, string>) {
  const body = {
    apiVersion: 'velero.io/v1',
    kind: 'Schedule',
    metadata: { name, namespace: NS, labels },
    spec,
  };
  return (await custom.createNamespacedCustomObject({ ...ref('schedules'), body })) as VeleroSchedule;
}

async function getSchedule(name: string): Promise<VeleroSchedule> {
  return (await custom.getNamespacedCustomObject({ ...ref('schedules'), name })) as VeleroSchedule;
}

test('runSchedule creates <schedule>-<UTC timestamp> with the Schedule labels, owner and lastBackup', async () => {
  const schedule = await createSchedule(
    'nightly',
    {
      schedule: '0 2 * * *',
      template: { includedNamespaces: ['default'], ttl: '48h' },
      useOwnerReferencesInBackup: true,
    },
    { team: 'a' },
  );
  await waitFor(async () => (await getSchedule('nightly')).status?.phase === 'Enabled', {
    what: 'nightly Enabled',
  });
  assert.equal((await getSchedule('nightly')).spec.skipImmediately, false, 'Velero writes the default back');

  const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  const created = await standIn.runSchedule('nightly', at);
  assert.equal(created?.metadata.name, 'nightly-20260102030405');
  assert.deepEqual(created?.metadata.labels, { team: 'a', 'velero.io/schedule-name': 'nightly' });
  assert.deepEqual(
    created?.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]),
    [['Schedule', 'nightly', schedule.metadata.uid, true]],
  );
  assert.equal((await getSchedule('nightly')).status?.lastBackup, '2026-01-02T03:04:05Z');
  const backup = await finished('nightly-20260102030405');
  assert.equal(backup.status?.phase, 'Completed');
  assert.equal(backup.spec?.ttl, '48h');

  await createSchedule(
    'labelled',
    {
      schedule: '@daily',
      template: { includedNamespaces: ['default'], metadata: { labels: { tier: 'gold' } } },
    },
    { team: 'a' },
  );
  const fromTemplate = await standIn.runSchedule('labelled', at);
  assert.deepEqual(fromTemplate?.metadata.labels, { tier: 'gold', 'velero.io/schedule-name': 'labelled' });
  assert.equal(fromTemplate?.metadata.ownerReferences, undefined);
  await finished('labelled-20260102030405');
});

test('runSchedule creates nothing while a backup of the same Schedule is unfinished', async () => {
  await createSchedule('busy', { schedule: '*/5 * * * *', template: { includedNamespaces: ['default'] } });
  const hold = standIn.holdBackups((b) => b.metadata.labels?.['velero.io/schedule-name'] === 'busy');
  const first = await standIn.runSchedule('busy', new Date(Date.UTC(2026, 0, 1, 0, 5)));
  assert.ok(first);
  await hold.reached();
  assert.equal(await standIn.runSchedule('busy', new Date(Date.UTC(2026, 0, 1, 0, 10))), undefined);
  hold.release();
  await finished(first.metadata.name);
  assert.ok(await standIn.runSchedule('busy', new Date(Date.UTC(2026, 0, 1, 0, 15))));
});

test('Schedules are validated like robfig ParseStandard; paused ones are left alone', async () => {
  const cases: [string, string, string | undefined][] = [
    ['berlin', 'CRON_TZ=Europe/Berlin 30 1 * * MON-FRI', undefined],
    ['every', '@every 6h', undefined],
    ['six-fields', '0 0 2 * * *', 'invalid schedule: expected exactly 5 fields, found 6: [0 0 2 * * *]'],
    ['sunday-seven', '0 2 * * 7', 'invalid schedule: end of range (7) above maximum (6): 7'],
    [
      'bad-zone',
      'CRON_TZ=Mars/Olympus 0 2 * * *',
      'invalid schedule: provided bad location Mars/Olympus: unknown time zone Mars/Olympus',
    ],
  ];
  for (const [name, schedule] of cases) await createSchedule(name, { schedule, template: {} });
  for (const [name, , error] of cases) {
    const s = await waitFor(
      async () => {
        const live = await getSchedule(name);
        return live.status?.phase && live;
      },
      { what: `schedule ${name} validated` },
    );
    assert.equal(s.status?.phase, error ? 'FailedValidation' : 'Enabled', name);
    assert.deepEqual(s.status?.validationErrors, error ? [error] : undefined, name);
  }
  assert.equal(await standIn.runSchedule('six-fields'), undefined, 'an invalid Schedule creates no backup');

  await createSchedule('paused', { schedule: '0 2 * * *', template: {}, paused: true });
  assert.equal(await standIn.runSchedule('paused'), undefined);
  const paused = await getSchedule('paused');
  assert.equal(paused.status, undefined, 'Velero never reconciles a paused Schedule');
  assert.ok(
    standIn.events.some((e) => e.kind === 'schedule' && e.name === 'paused' && /paused/.test(e.message)),
  );
});

async function createDeleteRequest(name: string, backupName: string) {
  const body = {
    apiVersion: 'velero.io/v1',
    kind: 'DeleteBackupRequest',
    metadata: { name, namespace: NS },
    spec: { backupName },
  };
  await custom.createNamespacedCustomObject({ ...ref('deletebackuprequests'), body });
}

test('a DeleteBackupRequest deletes the Backup, ends Processed, and is then removed like Velero does', async () => {
  await createBackup('disposable', { includedNamespaces: ['default'] });
  await finished('disposable');
  await createDeleteRequest('delete-disposable', 'disposable');
  await waitFor(async () => (await getBackup('disposable')) === undefined, {
    what: 'backup disposable deleted',
  });
  await waitFor(() => dbrPhasesSeen.get('delete-disposable')?.at(-1) === 'DELETED', {
    what: 'request removed',
  });
  assert.deepEqual(dbrPhasesSeen.get('delete-disposable'), ['', 'InProgress', 'Processed', 'DELETED']);
  assert.ok(phasesSeen.get('disposable')?.includes('Deleting'));
  assert.deepEqual(await standIn.syncBackupsFromStorage(), [], 'its data is gone too');

  await createDeleteRequest('delete-ghost', 'ghost');
  const ghost = await waitFor(
    async () => {
      const dbr = (await custom.getNamespacedCustomObject({
        ...ref('deletebackuprequests'),
        name: 'delete-ghost',
      })) as VeleroDeleteBackupRequest;
      return dbr.status?.phase === 'Processed' && dbr;
    },
    { what: 'delete-ghost Processed' },
  );
  assert.deepEqual(ghost.status?.errors, ['backup not found']);
});

test('deleting a Backup object keeps its data: the storage sync brings it back', async () => {
  await createBackup('resurrected', { includedNamespaces: ['default'] });
  const original = await finished('resurrected');
  await custom.deleteNamespacedCustomObject({ ...ref('backups'), name: 'resurrected' });
  await waitFor(async () => (await getBackup('resurrected')) === undefined, { what: 'resurrected gone' });
  assert.ok((await standIn.syncBackupsFromStorage()).includes('resurrected'));
  const synced = await getBackup('resurrected');
  assert.equal(synced?.status?.phase, 'Completed');
  assert.equal(synced?.status?.startTimestamp, original.status?.startTimestamp);
  assert.notEqual(synced?.metadata.uid, original.metadata.uid);
});

test('the stand-in keeps working across an API server restart', async () => {
  await cp.restartApiServer();
  await createBackup('after-restart', { includedNamespaces: ['default'] });
  assert.equal((await finished('after-restart')).status?.phase, 'Completed');
});

test('a Velero restart mid-backup marks it Failed and its post hooks never run', async () => {
  await ensureNamespace(core, 'crash');
  await createFakePod(core, { namespace: 'crash', name: 'db-0', labels: { app: 'db' }, containers: ['db'] });
  const objectStore = new Map<string, VeleroBackup>();
  const hold = standIn.holdBackups((b) => b.metadata.name === 'interrupted');
  await createBackup('interrupted', { includedNamespaces: ['crash'], hooks: dbHooks('crash') });
  await hold.reached();
  await standIn.stop();
  assert.deepEqual(
    standIn.hookRuns('interrupted').map((r) => r.phase),
    ['pre'],
  );
  standIn = new VeleroStandIn(cp.kubeConfig, { phaseDelayMs: 50, objectStore, onEvent });
  await standIn.start();
  const backup = await finished('interrupted');
  assert.equal(backup.status?.phase, 'Failed');
  assert.equal(
    backup.status?.failureReason,
    'found a backup with status "InProgress" during the server starting, mark it as "Failed"',
  );
  await createBackup('after-crash', { includedNamespaces: ['default'] });
  assert.equal((await finished('after-crash')).status?.phase, 'Completed');
});

test('autoFire creates scheduled Backups at their cron times', async () => {
  const auto = new VeleroStandIn(cp.kubeConfig, {
    namespace: 'velero-auto',
    phaseDelayMs: 20,
    autoFire: true,
  });
  await auto.start();
  try {
    await auto.ensureStorageLocation();
    const body = {
      apiVersion: 'velero.io/v1',
      kind: 'Schedule',
      metadata: { name: 'often', namespace: 'velero-auto' },
      spec: { schedule: '@every 1s', template: { includedNamespaces: ['default'] } },
    };
    await custom.createNamespacedCustomObject({ ...ref('schedules'), namespace: 'velero-auto', body });
    const backups = await waitFor(
      async () => {
        const list = (await custom.listNamespacedCustomObject({
          ...ref('backups'),
          namespace: 'velero-auto',
          labelSelector: 'velero.io/schedule-name=often',
        })) as { items: VeleroBackup[] };
        return list.items.filter((b) => b.status?.phase === 'Completed').length >= 2 && list.items;
      },
      { what: 'two scheduled backups completed', timeoutMs: 30_000 },
    );
    for (const b of backups) assert.match(b.metadata.name, /^often-\d{14}$/);
  } finally {
    await auto.stop();
  }
});

test('the stand-in met no error except its watches dropped by the API server restart', () => {
  const errors = standInEvents.filter((e) => e.kind === 'error');
  assert.ok(
    errors.every((e) => e.message.startsWith('watch: ')),
    JSON.stringify(errors),
  );
});
