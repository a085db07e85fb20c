import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsistentBackup, HookPreset } from '../../src/api/consistent-backup.ts';
import type { OperatorConfig } from '../../src/domain/config.ts';
import { validateConsistentBackup } from '../../src/domain/validation.ts';
import { config, consistentBackup, hook, POLICY } from './domain-fixtures.ts';

const presetBackup = (preset: HookPreset) => consistentBackup({ hooks: [hook({ pre: undefined, preset })] });

describe('validation beyond the schema: problems, never throws', () => {
  const table: [string, ConsistentBackup, string, string, RegExp, OperatorConfig?][] = [
    // [case, object, field, reason, message]
    [
      'cron that Velero rejects',
      consistentBackup({ schedule: '0 0 * * 7' }),
      'spec.schedule',
      'InvalidSchedule',
      /above maximum \(6\)/,
    ],
    [
      'cron that never runs',
      consistentBackup({ schedule: '0 0 31 2 *' }),
      'spec.schedule',
      'InvalidSchedule',
      /never runs/,
    ],
    [
      'unknown time zone',
      consistentBackup({ schedule: '0 2 * * *', timeZone: 'Europe/Atlantis' }),
      'spec.timeZone',
      'UnknownTimeZone',
      /unknown time zone/,
    ],
    [
      'time zone in the wrong case',
      consistentBackup({ schedule: '0 2 * * *', timeZone: 'Europe/BERLIN' }),
      'spec.timeZone',
      'UnknownTimeZone',
      /case-sensitive/,
    ],
    ['unparseable rpo', consistentBackup({ rpo: '1d' }), 'spec.rpo', 'InvalidDuration', /not a duration/],
    [
      'unparseable hook timeout',
      consistentBackup({ hooks: [hook({ pre: [{ command: ['x'], timeout: 'soon' }] })] }),
      'spec.hooks[0].pre[0].timeout',
      'InvalidDuration',
      /soon/,
    ],
    [
      'hook selector contradicting itself',
      consistentBackup({
        hooks: [
          hook({
            selector: {
              matchLabels: { app: 'db' },
              matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }],
            },
          }),
        ],
      }),
      'spec.hooks[0].selector',
      'SelectorCannotMatch',
      /label app/,
    ],
    [
      'hook selector disjoint from the backup selector',
      consistentBackup({
        labelSelector: { matchLabels: { tier: 'data' } },
        hooks: [hook({ selector: { matchLabels: { tier: 'web' } } })],
      }),
      'spec.hooks[0].selector',
      'HooksCannotRun',
      /spec.labelSelector/,
    ],
    [
      'hook needs a label the backup selector forbids',
      consistentBackup({
        labelSelector: { matchExpressions: [{ key: 'backup', operator: 'DoesNotExist' }] },
        hooks: [hook({ selector: { matchExpressions: [{ key: 'backup', operator: 'Exists' }] } })],
      }),
      'spec.hooks[0].selector',
      'HooksCannotRun',
      /both present and absent/,
    ],
    [
      'backup selector matching nothing',
      consistentBackup({
        labelSelector: {
          matchExpressions: [
            { key: 'a', operator: 'In', values: ['x'] },
            { key: 'a', operator: 'In', values: ['y'] },
          ],
        },
      }),
      'spec.labelSelector',
      'SelectorCannotMatch',
      /label a/,
    ],
    [
      'hooks but pods not included',
      consistentBackup({ includedResources: ['persistentvolumeclaims'], hooks: [hook()] }),
      'spec.includedResources',
      'HooksCannotRun',
      /pods are not included/,
    ],
    [
      'hooks but pods excluded',
      consistentBackup({ excludedResources: ['pods'], hooks: [hook()] }),
      'spec.excludedResources',
      'HooksCannotRun',
      /pods are excluded/,
    ],
    [
      'duplicate hook names',
      consistentBackup({ hooks: [hook(), hook()] }),
      'spec.hooks[1].name',
      'DuplicateHookName',
      /used twice/,
    ],
    [
      'preset parameter with a bad value',
      presetBackup({ name: 'mysql', parameters: { port: 'db' } }),
      'spec.hooks[0].preset.parameters.port',
      'InvalidPreset',
      /^preset mysql: parameter port: must be a port number/,
    ],
    [
      'unknown preset parameter',
      presetBackup({ name: 'redis', parameters: { 'data-dir': '/data' } }),
      'spec.hooks[0].preset.parameters.data-dir',
      'InvalidPreset',
      /unknown parameter "data-dir" for preset redis/,
    ],
    [
      'missing required preset parameter',
      presetBackup({ name: 'fsfreeze' }),
      'spec.hooks[0].preset.parameters.mountPath',
      'InvalidPreset',
      /mountPath is required/,
    ],
    [
      'freeze budget for a preset that holds nothing',
      presetBackup({ name: 'postgresql', freezeBudget: '1m' }),
      'spec.hooks[0].preset.freezeBudget',
      'InvalidPreset',
      /does not apply to preset postgresql/,
    ],
    [
      'preset timeout beyond the bound',
      presetBackup({ name: 'redis', timeout: '2h' }),
      'spec.hooks[0].preset.timeout',
      'InvalidPreset',
      /between 1s and 60m/,
    ],
    [
      'preset parameters that contradict each other',
      presetBackup({ name: 'mysql', parameters: { passwordEnv: 'PW', passwordFile: '/secret/pw' } }),
      'spec.hooks[0].preset.parameters',
      'InvalidPreset',
      /either passwordEnv or passwordFile/,
    ],
    [
      'unknown preset (objects that bypassed the schema)',
      presetBackup({ name: 'oracle' as 'mysql' }),
      'spec.hooks[0].preset.name',
      'InvalidPreset',
      /unknown preset "oracle"/,
    ],
    [
      'Velero namespace the operator does not allow',
      consistentBackup({ velero: { namespace: 'other-velero' } }),
      'spec.velero.namespace',
      'VeleroNamespaceNotAllowed',
      /other-velero/,
    ],
    [
      'storage location outside the allowlist',
      consistentBackup({ velero: { storageLocation: 'elsewhere' } }),
      'spec.velero.storageLocation',
      'StorageLocationNotAllowed',
      /allows only default or Velero's default location \(unset\) \(spec.allowedStorageLocations\)/,
      { veleroNamespace: 'velero', limits: { ...POLICY, allowedStorageLocations: ['default'] } },
    ],
    [
      'run-now token that cannot be one',
      consistentBackup({}, { annotations: { 'consistentbackup.io/run-now': 'not a token!' } }),
      'metadata.annotations[consistentbackup.io/run-now]',
      'InvalidRunToken',
      /1-63 letters/,
    ],
    [
      'object not read from the API server',
      { ...consistentBackup(), metadata: { name: 'x' } },
      'metadata',
      'IncompleteMetadata',
      /uid/,
    ],
  ];
  for (const [name, cr, field, reason, message, cfg] of table) {
    test(name, () => {
      const result = validateConsistentBackup(cr, cfg ?? config);
      assert.ok(!result.ok, 'invalid');
      const problem = result.problems.find((p) => p.field === field);
      assert.ok(problem, `a problem for ${field} among ${JSON.stringify(result.problems)}`);
      assert.equal(problem.reason, reason);
      assert.match(problem.message, message);
    });
  }

  const valid: [string, ConsistentBackup, OperatorConfig?][] = [
    ['minimal one-shot', consistentBackup()],
    [
      'scheduled with hooks and time zone',
      consistentBackup({ schedule: '30 2 * * *', timeZone: 'Europe/Berlin', rpo: '25h', hooks: [hook()] }),
    ],
    [
      'hook selector within the backup selector',
      consistentBackup({
        labelSelector: { matchLabels: { tier: 'data' } },
        hooks: [hook({ selector: { matchLabels: { tier: 'data', app: 'db' } } })],
      }),
    ],
    ['preset hook', presetBackup({ name: 'mysql', freezeBudget: '90s', parameters: { passwordEnv: 'PW' } })],
    [
      'pods named among included resources',
      consistentBackup({ includedResources: ['pods', 'persistentvolumeclaims'], hooks: [hook()] }),
    ],
    ['pods excluded without hooks', consistentBackup({ excludedResources: ['pods'] })],
    [
      'allowed extra Velero namespace',
      consistentBackup({ velero: { namespace: 'velero-2' } }),
      { veleroNamespace: 'velero', allowedVeleroNamespaces: ['velero-2'] },
    ],
    ['leap-day schedule', consistentBackup({ schedule: '0 0 29 2 *' })],
    [
      'run-now token',
      consistentBackup({}, { annotations: { 'consistentbackup.io/run-now': '2025-06-01T10.00' } }),
    ],
  ];
  for (const [name, cr, cfg] of valid) {
    test(`valid: ${name}`, () => {
      const result = validateConsistentBackup(cr, cfg ?? config);
      assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    });
  }

  test('reports every problem at once', () => {
    const result = validateConsistentBackup(
      consistentBackup({
        schedule: '0 0 * * 7',
        timeZone: 'Nowhere/Here',
        excludedResources: ['pods'],
        hooks: [hook()],
      }),
      config,
    );
    assert.ok(!result.ok);
    assert.deepEqual(result.problems.map((p) => p.field).sort(), [
      'spec.excludedResources',
      'spec.schedule',
      'spec.timeZone',
    ]);
  });
});
