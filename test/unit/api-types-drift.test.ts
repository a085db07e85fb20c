import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { generateApiTypes, generatedPath } from '../../scripts/generate-api-types.ts';

test('src/api/generated/consistentbackup.ts is what `npm run generate` makes of the CRD', async () => {
  const committed = await readFile(generatedPath, 'utf8');
  const fresh = await generateApiTypes();
  assert.ok(fresh.includes('export interface ConsistentBackupSpec'), 'the generator produced the spec type');
  assert.equal(committed, fresh, 'the CRD and the TypeScript types drifted apart: run `npm run generate`');
});
