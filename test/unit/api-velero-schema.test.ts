// The Velero objects the domain produces must fit Velero's own CRD schemas: a field the schema does not know
// would be silently pruned by the API server, a wrong enum value rejected.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ensureVeleroCrds } from '../../src/local-cluster/binaries.ts';
import { desiredVeleroObjects } from '../../src/domain/velero-objects.ts';
import { config, consistentBackup, hook } from './domain-fixtures.ts';

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  enum?: unknown[];
  required?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

async function veleroSchema(file: string): Promise<Schema> {
  const crd = parse(await readFile(join(await ensureVeleroCrds(), file), 'utf8')) as {
    spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
  };
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

/** Every place the value does not fit the schema. */
function misfits(value: unknown, schema: Schema, path: string): string[] {
  if (schema.enum && !schema.enum.includes(value))
    return [`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`];
  switch (schema.type) {
    case 'string':
      return typeof value === 'string' ? [] : [`${path}: not a string`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: not a boolean`];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${path}: not an integer`];
    case 'array':
      return Array.isArray(value)
        ? value.flatMap((v, i) => misfits(v, schema.items ?? {}, `${path}[${i}]`))
        : [`${path}: not an array`];
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return [`${path}: not an object`];
      const entries = Object.entries(value);
      const missing = (schema.required ?? [])
        .filter((k) => !(k in value))
        .map((k) => `${path}.${k}: required`);
      return missing.concat(
        entries.flatMap(([k, v]) => {
          const child =
            schema.properties?.[k] ??
            (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
          if (child) return misfits(v, child, `${path}.${k}`);
          const open =
            schema['x-kubernetes-preserve-unknown-fields'] ||
            schema.additionalProperties === true ||
            (!schema.properties && !schema.additionalProperties);
          return open ? [] : [`${path}.${k}: unknown field, would be pruned`];
        }),
      );
    }
    default:
      return [];
  }
}

const cr = consistentBackup(
  {
    schedule: '30 2 * * 1-5',
    timeZone: 'Europe/Berlin',
    ttl: '240h',
    labelSelector: { matchExpressions: [{ key: 'backup', operator: 'NotIn', values: ['skip'] }] },
    includedResources: ['pods', 'persistentvolumeclaims'],
    excludedResources: ['events'],
    velero: {
      storageLocation: 'primary',
      volumeSnapshotLocations: ['csi'],
      snapshotVolumes: true,
      defaultVolumesToFsBackup: false,
      snapshotMoveData: true,
    },
    hooks: [
      hook({ post: [{ command: ['/bin/true'], onError: 'Continue', timeout: '10s' }] }),
      hook({ name: 'second', pre: [{ command: ['x'] }] }),
    ],
  },
  { annotations: { 'consistentbackup.io/run-now': 'now-1' } },
);

test('the Schedule fits velero.io_schedules', async () => {
  const objects = desiredVeleroObjects(cr, config);
  assert.ok(objects.ok && objects.schedule);
  assert.deepEqual(misfits(objects.schedule, await veleroSchema('velero.io_schedules.yaml'), 'Schedule'), []);
});

test('run-now and one-shot Backups fit velero.io_backups', async () => {
  const schema = await veleroSchema('velero.io_backups.yaml');
  const scheduled = desiredVeleroObjects(cr, config);
  const single = desiredVeleroObjects(
    { ...cr, spec: { ...cr.spec, schedule: undefined, timeZone: undefined } },
    config,
  );
  assert.ok(scheduled.ok && single.ok);
  const backups = [...scheduled.backups, ...single.backups].map((b) => b.backup);
  assert.equal(backups.length, 3);
  for (const backup of backups) assert.deepEqual(misfits(backup, schema, 'Backup'), []);
});

test('the checker itself notices unknown fields and bad enums', async () => {
  const schema = await veleroSchema('velero.io_backups.yaml');
  const bad = {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: {},
    spec: {
      includedNamespace: ['x'],
      hooks: { resources: [{ name: 'h', pre: [{ exec: { command: ['x'], onError: 'Abort' } }] }] },
    },
  };
  assert.deepEqual(misfits(bad, schema, 'Backup'), [
    'Backup.spec.includedNamespace: unknown field, would be pruned',
    'Backup.spec.hooks.resources[0].pre[0].exec.onError: "Abort" not in ["Continue","Fail"]',
  ]);
});
