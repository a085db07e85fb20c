import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsistentBackup } from '../../src/api/consistent-backup.ts';
import { desiredVeleroObjects, type DesiredVeleroObjects } from '../../src/domain/velero-objects.ts';
import { veleroNames } from '../../src/domain/names.ts';
import type { PodSummary } from '../../src/domain/pod-summary.ts';
import { preflightHooks } from '../../src/domain/preflight.ts';
import { expandPreset } from '../../src/hooks/presets/expand.ts';
import { config, consistentBackup, hook, pod } from './domain-fixtures.ts';

type Desired = Extract<DesiredVeleroObjects, { ok: true }>;

/** `pods`: the namespace's pods, checked by preflight; undefined: pods not known. */
function desired(cr: ConsistentBackup, pods?: PodSummary[]): Desired {
  const result = desiredVeleroObjects(cr, config, pods && preflightHooks(cr, pods));
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  return result;
}

const OWNER = {
  'app.kubernetes.io/managed-by': 'consistent-backup-operator',
  'consistentbackup.io/namespace': 'shop',
  'consistentbackup.io/name': 'orders-db',
  'consistentbackup.io/uid': '6f1c2e2a-0000-4000-8000-000000000001',
};
const NAMES = veleroNames({ namespace: 'shop', name: 'orders-db', uid: OWNER['consistentbackup.io/uid'] });

describe('scheduled ConsistentBackup -> one Velero Schedule', () => {
  test('the whole Schedule', () => {
    const cr = consistentBackup({
      schedule: '30 2 * * *',
      timeZone: 'Europe/Berlin',
      ttl: '240h',
      hooks: [
        hook({
          name: 'db',
          // No onError and no timeout: never reached the API server's defaulting.
          pre: [{ command: ['/bin/sh', '-c', 'psql -c CHECKPOINT'] }],
          post: [{ command: ['/bin/true'], onError: 'Continue', timeout: '2m' }],
        }),
      ],
    });
    const { schedule, backups, veleroNamespace } = desired(cr);
    assert.equal(veleroNamespace, 'velero');
    assert.deepEqual(backups, []);
    assert.deepEqual(schedule, {
      apiVersion: 'velero.io/v1',
      kind: 'Schedule',
      metadata: { name: NAMES.schedule, namespace: 'velero', labels: OWNER },
      spec: {
        schedule: 'CRON_TZ=Europe/Berlin 30 2 * * *',
        template: {
          includedNamespaces: ['shop'],
          ttl: '240h',
          hooks: {
            resources: [
              {
                name: 'db',
                includedNamespaces: ['shop'],
                labelSelector: { matchLabels: { app: 'orders-db' } },
                pre: [
                  {
                    exec: {
                      container: 'postgres',
                      command: ['/bin/sh', '-c', 'psql -c CHECKPOINT'],
                      onError: 'Fail',
                      timeout: '30s',
                    },
                  },
                ],
                post: [
                  {
                    exec: {
                      container: 'postgres',
                      command: ['/bin/true'],
                      onError: 'Continue',
                      timeout: '2m',
                    },
                  },
                ],
              },
            ],
          },
          metadata: { labels: { ...OWNER, 'consistentbackup.io/trigger': 'schedule' } },
        },
        paused: false,
        skipImmediately: false,
        useOwnerReferencesInBackup: false,
      },
    });
  });

  const expressions: [string, Partial<ConsistentBackup['spec']>, string][] = [
    ['no time zone: UTC, explicitly', { schedule: '0 2 * * *' }, 'CRON_TZ=UTC 0 2 * * *'],
    ['descriptor', { schedule: '@daily', timeZone: 'America/New_York' }, 'CRON_TZ=America/New_York @daily'],
    ['surrounding blanks trimmed', { schedule: '  0 2 * * *  ' }, 'CRON_TZ=UTC 0 2 * * *'],
  ];
  for (const [what, spec, expected] of expressions) {
    test(`cron expression: ${what}`, () =>
      assert.equal(desired(consistentBackup(spec)).schedule?.spec.schedule, expected));
  }

  test('suspend pauses the Schedule', () => {
    assert.equal(
      desired(consistentBackup({ schedule: '0 2 * * *', suspend: true })).schedule?.spec.paused,
      true,
    );
  });

  test('a hook with only post actions has no pre list', () => {
    const resource = desired(
      consistentBackup({
        schedule: '0 2 * * *',
        hooks: [hook({ pre: undefined, post: [{ command: ['x'] }] })],
      }),
    ).schedule?.spec.template.hooks?.resources?.[0];
    assert.ok(resource && !('pre' in resource));
    assert.equal(resource.post?.length, 1);
  });

  test('Velero settings, scope and selector are carried over', () => {
    const template = desired(
      consistentBackup({
        schedule: '0 2 * * *',
        labelSelector: { matchExpressions: [{ key: 'backup', operator: 'NotIn', values: ['skip'] }] },
        includedResources: ['pods', 'persistentvolumeclaims'],
        excludedResources: ['secrets'],
        velero: {
          storageLocation: 'primary',
          volumeSnapshotLocations: ['csi'],
          snapshotVolumes: false,
          defaultVolumesToFsBackup: true,
          snapshotMoveData: true,
        },
      }),
    ).schedule?.spec.template;
    assert.deepEqual(template, {
      includedNamespaces: ['shop'],
      includedResources: ['pods', 'persistentvolumeclaims'],
      excludedResources: ['secrets'],
      labelSelector: { matchExpressions: [{ key: 'backup', operator: 'NotIn', values: ['skip'] }] },
      storageLocation: 'primary',
      volumeSnapshotLocations: ['csi'],
      snapshotVolumes: false,
      defaultVolumesToFsBackup: true,
      snapshotMoveData: true,
      metadata: { labels: { ...OWNER, 'consistentbackup.io/trigger': 'schedule' } },
    });
  });

  test('a run-now token adds one Backup labelled like `velero backup create --from-schedule`', () => {
    const { schedule, backups } = desired(
      consistentBackup(
        { schedule: '0 2 * * *', hooks: [hook()] },
        { annotations: { 'consistentbackup.io/run-now': 'deploy-42' } },
      ),
    );
    assert.equal(backups.length, 1);
    const [run] = backups;
    assert.equal(run?.trigger, 'run-now');
    assert.equal(run?.runToken, 'deploy-42');
    assert.deepEqual(run?.backup.metadata, {
      name: NAMES.runNowBackup('deploy-42'),
      namespace: 'velero',
      labels: {
        ...OWNER,
        'consistentbackup.io/trigger': 'run-now',
        'velero.io/schedule-name': NAMES.schedule,
      },
      annotations: { 'consistentbackup.io/run-token': 'deploy-42' },
    });
    const { metadata: _templateMetadata, ...templateSpec } = schedule?.spec.template ?? {};
    assert.deepEqual(run?.backup.spec, templateSpec);
  });

  test('a processed token makes no Backup again', () => {
    const { backups } = desired(
      consistentBackup(
        { schedule: '0 2 * * *' },
        { annotations: { 'consistentbackup.io/run-now': 'deploy-42' } },
        { processedRunTokens: ['deploy-41', 'deploy-42'] },
      ),
    );
    assert.deepEqual(backups, []);
  });
});

describe('preset hooks', () => {
  test('the Schedule template carries the expanded scripts, in the hook container, with explicit onError and timeout', () => {
    const preset = {
      name: 'mysql' as const,
      freezeBudget: '90s',
      parameters: { passwordEnv: 'MYSQL_ROOT_PASSWORD' },
    };
    const cr = consistentBackup({
      schedule: '0 2 * * *',
      hooks: [hook({ name: 'freeze', container: 'mariadb', pre: undefined, preset })],
    });
    const expansion = expandPreset(preset);
    assert.ok(!('problems' in expansion));
    const [pre] = expansion.pre;
    const [post] = expansion.post;
    assert.ok(pre && post);
    assert.deepEqual(desired(cr).schedule?.spec.template.hooks, {
      resources: [
        {
          name: 'freeze',
          includedNamespaces: ['shop'],
          labelSelector: { matchLabels: { app: 'orders-db' } },
          pre: [
            { exec: { container: 'mariadb', command: pre.command, onError: 'Fail', timeout: pre.timeout } },
          ],
          post: [
            {
              exec: {
                container: 'mariadb',
                command: post.command,
                onError: 'Continue',
                timeout: post.timeout,
              },
            },
          ],
        },
      ],
    });
    assert.match(pre.command[2] ?? '', /FLUSH TABLES WITH READ LOCK/);
  });

  test('an invalid preset gives problems at its field, and no Velero object', () => {
    const result = desiredVeleroObjects(
      consistentBackup({
        hooks: [hook({ pre: undefined, preset: { name: 'redis', parameters: { port: '99999' } } })],
      }),
      config,
    );
    assert.ok(!result.ok);
    assert.deepEqual(
      result.problems.map((p) => [p.field, p.reason]),
      [['spec.hooks[0].preset.parameters.port', 'InvalidPreset']],
    );
  });
});

describe('spec.onMissingHookTarget', () => {
  const runNow = { annotations: { 'consistentbackup.io/run-now': 'now-1' } };
  const table: [
    string,
    ConsistentBackup,
    PodSummary[] | undefined,
    boolean | undefined,
    string[],
    boolean,
  ][] = [
    // [case, object, pods (undefined: not known), Schedule paused, triggers of the Backups, targets missing]
    [
      'Skip, scheduled, no target: Schedule paused, run-now waits',
      consistentBackup({ schedule: '0 2 * * *', onMissingHookTarget: 'Skip', hooks: [hook()] }, runNow),
      [pod('db-0', { phase: 'Pending' })],
      true,
      [],
      true,
    ],
    [
      'Skip, scheduled, targets back: resumed, run-now runs',
      consistentBackup({ schedule: '0 2 * * *', onMissingHookTarget: 'Skip', hooks: [hook()] }, runNow),
      [pod('db-0')],
      false,
      ['run-now'],
      false,
    ],
    [
      'Skip, single backup, no target: it waits',
      consistentBackup({ onMissingHookTarget: 'Skip', hooks: [hook()] }),
      [],
      undefined,
      [],
      true,
    ],
    [
      'Skip, single backup, target there',
      consistentBackup({ onMissingHookTarget: 'Skip', hooks: [hook()] }),
      [pod('db-0')],
      undefined,
      ['one-shot'],
      false,
    ],
    [
      'Skip, pods not known: nothing is held back',
      consistentBackup({ onMissingHookTarget: 'Skip', hooks: [hook()] }, runNow),
      undefined,
      undefined,
      ['one-shot', 'run-now'],
      false,
    ],
    [
      'Skip and suspended, targets there: still paused by suspend',
      consistentBackup({
        schedule: '0 2 * * *',
        suspend: true,
        onMissingHookTarget: 'Skip',
        hooks: [hook()],
      }),
      [pod('db-0')],
      true,
      [],
      false,
    ],
    [
      'Proceed, no target: everything as usual, the targets reported as missing',
      consistentBackup({ schedule: '0 2 * * *', hooks: [hook()] }, runNow),
      [],
      false,
      ['run-now'],
      true,
    ],
    [
      'Proceed, single backup, no target',
      consistentBackup({ hooks: [hook()] }),
      [pod('db-0', { containers: ['app'] })],
      undefined,
      ['one-shot'],
      true,
    ],
  ];
  for (const [what, cr, pods, paused, triggers, missing] of table) {
    test(what, () => {
      const objects = desired(cr, pods);
      assert.equal(objects.schedule?.spec.paused, paused);
      assert.deepEqual(
        objects.backups.map((b) => b.trigger),
        triggers,
      );
      assert.equal(objects.missingHookTargets !== undefined, missing);
      if (missing) assert.equal(objects.missingHookTargets?.policy, cr.spec.onMissingHookTarget);
    });
  }
});

describe('ConsistentBackup without schedule -> one Backup, once', () => {
  test('the Backup', () => {
    const { schedule, backups } = desired(consistentBackup({ hooks: [hook()] }));
    assert.equal(schedule, undefined);
    assert.equal(backups.length, 1);
    assert.equal(backups[0]?.trigger, 'one-shot');
    assert.deepEqual(backups[0]?.backup.metadata, {
      name: NAMES.oneShotBackup,
      namespace: 'velero',
      labels: { ...OWNER, 'consistentbackup.io/trigger': 'one-shot' },
    });
    assert.deepEqual(backups[0]?.backup.spec.includedNamespaces, ['shop']);
    assert.equal(backups[0]?.backup.spec.hooks?.resources?.[0]?.pre?.[0]?.exec.onError, 'Fail');
  });

  const none: [string, ConsistentBackup][] = [
    [
      'already taken (even if Velero expired it since)',
      consistentBackup({}, {}, { backupName: NAMES.oneShotBackup }),
    ],
    ['suspended', consistentBackup({ suspend: true })],
  ];
  for (const [what, cr] of none)
    test(`no Backup when ${what}`, () => assert.deepEqual(desired(cr).backups, []));

  test('run-now without schedule: no schedule-name label', () => {
    const { backups } = desired(
      consistentBackup(
        {},
        { annotations: { 'consistentbackup.io/run-now': '1' } },
        { backupName: NAMES.oneShotBackup },
      ),
    );
    assert.equal(backups.length, 1);
    assert.equal(backups[0]?.backup.metadata.labels?.['velero.io/schedule-name'], undefined);
    assert.equal(backups[0]?.backup.metadata.labels?.['consistentbackup.io/trigger'], 'run-now');
  });

  test('run-now is honoured while suspended: it is an explicit request', () => {
    const { backups } = desired(
      consistentBackup({ suspend: true }, { annotations: { 'consistentbackup.io/run-now': '1' } }),
    );
    assert.deepEqual(
      backups.map((b) => b.trigger),
      ['run-now'],
    );
  });
});

describe('scope is always the ConsistentBackup own namespace', () => {
  for (const namespace of ['shop', 'team-a', 'velero']) {
    test(`namespace ${namespace}`, () => {
      const objects = desired(consistentBackup({ schedule: '0 2 * * *', hooks: [hook()] }, { namespace }));
      const template = objects.schedule?.spec.template;
      assert.deepEqual(template?.includedNamespaces, [namespace]);
      assert.deepEqual(
        template?.hooks?.resources?.map((r) => r.includedNamespaces),
        [[namespace]],
      );
      assert.equal(objects.schedule?.metadata.namespace, 'velero');
    });
  }
});

test('an invalid ConsistentBackup gets no Velero object, only problems', () => {
  const result = desiredVeleroObjects(consistentBackup({ schedule: '0 0 31 2 *', hooks: [hook()] }), config);
  assert.ok(!result.ok);
  assert.equal(result.problems[0]?.field, 'spec.schedule');
  assert.ok(!('schedule' in result) && !('backups' in result));
});

test('the same input always gives the same objects', () => {
  const cr = consistentBackup(
    { schedule: '0 2 * * *', hooks: [hook()] },
    { annotations: { 'consistentbackup.io/run-now': 'x' } },
  );
  assert.deepEqual(desiredVeleroObjects(cr, config), desiredVeleroObjects(cr, config));
});
