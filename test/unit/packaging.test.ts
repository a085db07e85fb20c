// The shipped package agrees with itself: license, image Node version, runtime dependencies.
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
  license: string;
  dependencies: Record<string, string>;
};

test('LICENSE is the license package.json names', async () => {
  assert.equal(pkg.license, 'Apache-2.0');
  const text = await readFile(join(root, 'LICENSE'), 'utf8');
  assert.match(text, /Apache License\s+Version 2\.0, January 2004/);
  assert.match(text, /END OF TERMS AND CONDITIONS/);
});

test('the image runs the Node major version the tests run on', async () => {
  const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
  const majors = [...dockerfile.matchAll(/^FROM node:(\d+)/gm)].map((m) => m[1]);
  assert.ok(majors.length >= 2, 'build and runtime stages');
  for (const major of majors) assert.equal(major, process.versions.node.split('.')[0]);
});

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

test('runtime dependencies are exactly the packages src/ imports', async () => {
  const imported = new Set<string>();
  for (const file of await sources(join(root, 'src'))) {
    for (const [, spec] of (await readFile(file, 'utf8')).matchAll(
      /^\s*(?:import|export)\b[^'"]*?from '([^'.][^']*)'/gm,
    )) {
      if (!spec || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      // Type-only imports vanish at compile time, but a package imported only for types is still not runtime.
      imported.add(
        spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec),
      );
    }
  }
  assert.deepEqual(Object.keys(pkg.dependencies).sort(), [...imported].sort());
});
