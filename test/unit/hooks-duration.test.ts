import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSeconds, parseWholeSeconds } from '../../src/hooks/duration.ts';

describe('parseWholeSeconds', () => {
  const valid: [string, number][] = [
    ['45s', 45],
    ['2m', 120],
    ['1m30s', 90],
    ['1.5m', 90],
    ['1h', 3600],
    ['2000ms', 2],
    ['3000000us', 3],
    ['5000000000ns', 5],
  ];
  for (const [text, seconds] of valid) {
    it(`reads ${text} as ${seconds}s`, () => assert.equal(parseWholeSeconds(text), seconds));
  }
  const invalid: [string, RegExp][] = [
    ['1500ms', /not a whole number of seconds/],
    ['45', /not a duration/],
    ['ten seconds', /not a duration/],
    ['', /not a duration/],
    ['-5s', /not a duration/],
  ];
  for (const [text, problem] of invalid) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      const result = parseWholeSeconds(text);
      assert.ok(typeof result === 'object', `expected a problem, got ${JSON.stringify(result)}`);
      assert.match(result.problem, problem);
    });
  }
  it('formats seconds as a Go duration Velero reads', () => assert.equal(formatSeconds(105), '105s'));
});
