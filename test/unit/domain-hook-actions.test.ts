import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HookPreset } from '../../src/api/consistent-backup.ts';
import { hookActions, type HookActions } from '../../src/domain/hook-actions.ts';
import { expandPreset } from '../../src/hooks/presets/expand.ts';
import { hook } from './domain-fixtures.ts';

function actions(result: ReturnType<typeof hookActions>): HookActions {
  assert.ok(!('problems' in result), JSON.stringify(result));
  return result;
}

describe('hook -> the exec actions Velero runs', () => {
  test("own actions: the hook's container, and the CRD defaults for objects that skipped defaulting", () => {
    const result = actions(
      hookActions(
        hook({
          pre: [{ command: ['/bin/sync'] }],
          post: [{ command: ['/bin/true'], onError: 'Continue', timeout: '2m' }],
        }),
        'spec.hooks[0]',
      ),
    );
    assert.deepEqual(result, {
      pre: [{ container: 'postgres', command: ['/bin/sync'], onError: 'Fail', timeout: '30s' }],
      post: [{ container: 'postgres', command: ['/bin/true'], onError: 'Continue', timeout: '2m' }],
    });
  });

  // The scripts and their bounds belong to the preset library (tested there); here: they arrive unchanged, in
  // the hook's container, with onError and timeout always written.
  const presets: [string, HookPreset, boolean][] = [
    // [case, preset, has a post action]
    ['postgresql: a CHECKPOINT, no post action', { name: 'postgresql' }, false],
    ['mysql held session: pre holds, post releases', { name: 'mysql' }, true],
    [
      'mysql with its own timeout and freeze budget',
      { name: 'mysql', timeout: '1m', freezeBudget: '2m' },
      true,
    ],
  ];
  for (const [what, preset, hasPost] of presets) {
    test(`preset ${what}`, () => {
      const result = actions(hookActions(hook({ pre: undefined, container: 'db', preset }), 'spec.hooks[0]'));
      const expansion = expandPreset(preset);
      assert.ok(!('problems' in expansion));
      assert.deepEqual(result, {
        pre: expansion.pre.map((e) => ({ container: 'db', ...e })),
        post: expansion.post.map((e) => ({ container: 'db', ...e })),
      });
      const shape = (phase: 'pre' | 'post') =>
        result[phase].map((e) => [e.command.slice(0, 2), e.onError, /^\d+s$/.test(e.timeout ?? '')]);
      assert.deepEqual(shape('pre'), [[['/bin/sh', '-c'], 'Fail', true]]);
      assert.deepEqual(shape('post'), hasPost ? [[['/bin/sh', '-c'], 'Continue', true]] : []);
    });
  }

  test('every problem of a preset, each at its field', () => {
    const result = hookActions(
      hook({
        pre: undefined,
        preset: { name: 'mysql', timeout: 'soon', parameters: { port: '0', colour: 'red' } },
      }),
      'spec.hooks[3]',
    );
    assert.ok('problems' in result);
    assert.deepEqual(result.problems.map((p) => [p.field, p.reason]).sort(), [
      ['spec.hooks[3].preset.parameters.colour', 'InvalidPreset'],
      ['spec.hooks[3].preset.parameters.port', 'InvalidPreset'],
      ['spec.hooks[3].preset.timeout', 'InvalidPreset'],
    ]);
    for (const p of result.problems) assert.match(p.message, /^preset mysql: /);
  });
});
