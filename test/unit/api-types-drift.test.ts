import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { generateApiTypes, targets } from '../../scripts/generate-api-types.ts';

for (const target of targets) {
  test(`the ${target.kind} types are what \`npm run generate\` makes of its CRD`, async () => {
    const committed = await readFile(target.generatedPath, 'utf8');
    const fresh = await generateApiTypes(target);
    assert.ok(fresh.includes(`export interface ${target.kind}Spec`), 'the generator produced the spec type');
    assert.equal(committed, fresh, 'the CRD and the TypeScript types drifted apart: run `npm run generate`');
  });
}
