import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containsFields, jsonEqual, mergePatch } from '../../src/operator/merge-patch.ts';

const patches: [string, unknown, unknown, unknown][] = [
  ['equal documents need no patch', { a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }, undefined],
  ['a changed scalar', { a: 1 }, { a: 2 }, { a: 2 }],
  ['a dropped top-level field is nulled', { a: 1, b: 2 }, { a: 1 }, { b: null }],
  [
    'a dropped nested field is nulled, siblings untouched',
    { x: { m: 'old', n: 1 } },
    { x: { n: 1 } },
    { x: { m: null } },
  ],
  ['an undefined field counts as dropped', { a: 1, b: 2 }, { a: 1, b: undefined }, { b: null }],
  ['lists are replaced whole', { l: [1, 2, 3] }, { l: [1, 3] }, { l: [1, 3] }],
  ['a new nested object is sent whole', {}, { o: { p: { q: 1 } } }, { o: { p: { q: 1 } } }],
  ['an object replacing a scalar', { a: 'x' }, { a: { b: 1 } }, { a: { b: 1 } }],
];
for (const [name, from, to, want] of patches) {
  test(`mergePatch: ${name}`, () => assert.deepEqual(mergePatch(from, to), want));
}

test('applying the patch (RFC 7386) to the old document gives the new one', () => {
  const apply = (doc: unknown, patch: unknown): unknown => {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
    const out: Record<string, unknown> =
      typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? { ...doc } : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = apply(out[k], v);
    }
    return out;
  };
  const from = {
    phase: 'Running',
    lastBackup: { name: 'b1', message: 'x', hooksAttempted: 2 },
    history: [{ n: 1 }],
  };
  const to = {
    phase: 'Scheduled',
    lastBackup: { name: 'b2', hooksAttempted: 2 },
    history: [{ n: 2 }, { n: 1 }],
    rpo: { met: true },
  };
  assert.deepEqual(apply(from, mergePatch(from, to)), to);
});

const equalities: [unknown, unknown, boolean][] = [
  [{ a: 1, b: undefined }, { a: 1 }, true],
  [[1, { a: 2 }], [1, { a: 2 }], true],
  [[1, 2], [2, 1], false],
  [{ a: null }, {}, false],
  ['1', 1, false],
];
for (const [a, b, want] of equalities) {
  test(`jsonEqual(${JSON.stringify(a)}, ${JSON.stringify(b)}) is ${want}`, () =>
    assert.equal(jsonEqual(a, b), want));
}

const subsets: [string, unknown, unknown, boolean][] = [
  [
    'fields Velero added around ours',
    { spec: { schedule: 's', paused: false, extra: 1 }, status: {} },
    { spec: { schedule: 's', paused: false } },
    true,
  ],
  ['a field of ours changed', { spec: { schedule: 's', paused: true } }, { spec: { paused: false } }, false],
  [
    'a label of ours missing',
    { metadata: { labels: { a: '1' } } },
    { metadata: { labels: { a: '1', b: '2' } } },
    false,
  ],
  ['a list must match whole', { l: [1, 2, 3] }, { l: [1, 2] }, false],
];
for (const [name, actual, wanted, want] of subsets) {
  test(`containsFields: ${name}`, () => assert.equal(containsFields(actual, wanted), want));
}
