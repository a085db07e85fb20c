import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MAX_PROCESSED_TOKENS,
  mergeProcessedTokens,
  pendingRunToken,
  runNowToken,
} from '../../src/domain/run-now.ts';
import { consistentBackup } from './domain-fixtures.ts';

const withToken = (token: string | undefined, processed?: string[]) =>
  consistentBackup(
    {},
    token === undefined ? {} : { annotations: { 'consistentbackup.io/run-now': token } },
    processed && { processedRunTokens: processed },
  );

test('run-now tokens', () => {
  const table: [string, string | undefined, string[] | undefined, string | undefined, boolean][] = [
    // [case, annotation, processed, pending token, problem]
    ['no annotation', undefined, undefined, undefined, false],
    ['empty annotation', '  ', undefined, undefined, false],
    ['new token', '1717236000', undefined, '1717236000', false],
    ['blanks around a token', ' deploy-7 ', undefined, 'deploy-7', false],
    ['already processed', 'a', ['a'], undefined, false],
    ['another token than the processed ones', 'b', ['a'], 'b', false],
    ['64 characters', 'x'.repeat(64), undefined, undefined, true],
    ['spaces inside', 'run now', undefined, undefined, true],
  ];
  for (const [name, annotation, processed, pending, problem] of table) {
    const cr = withToken(annotation, processed);
    assert.equal(pendingRunToken(cr), pending, name);
    assert.equal(runNowToken(cr).problem !== undefined, problem, name);
  }
});

test('processed tokens stay bounded and always keep the current one', () => {
  const remembered = Array.from({ length: MAX_PROCESSED_TOKENS }, (_, i) => `t${i}`);
  assert.deepEqual(mergeProcessedTokens(remembered, ['t5', 'new'], 'new'), [...remembered.slice(1), 'new']);
  assert.deepEqual(mergeProcessedTokens([], ['a', 'b', 'a'], undefined), ['a', 'b']);
  // The current token was processed long ago and would fall off: it is kept.
  const merged = mergeProcessedTokens(['current', ...remembered], ['n1'], 'current');
  assert.equal(merged.length, MAX_PROCESSED_TOKENS);
  assert.ok(merged.includes('current'));
  assert.equal(merged.at(-1), 'current');
});
