import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Condition } from '../../src/api/consistent-backup.ts';
import { removeCondition, setCondition } from '../../src/domain/conditions.ts';

const T0 = Date.parse('2025-06-01T00:00:00Z');
const ready = (status: Condition['status'], reason = 'R', message = 'm') => ({
  type: 'Ready',
  status,
  reason,
  message,
});

test('conditions: lastTransitionTime moves only when the status flips', () => {
  const table: [string, Condition[] | undefined, ReturnType<typeof ready>, string][] = [
    ['new condition', undefined, ready('True'), '2025-06-01T01:00:00Z'],
    [
      'same status, new reason and message',
      setCondition(undefined, ready('True'), T0),
      ready('True', 'Other', 'changed'),
      '2025-06-01T00:00:00Z',
    ],
    ['flip', setCondition(undefined, ready('True'), T0), ready('False'), '2025-06-01T01:00:00Z'],
    [
      'to Unknown is a flip too',
      setCondition(undefined, ready('True'), T0),
      ready('Unknown'),
      '2025-06-01T01:00:00Z',
    ],
  ];
  for (const [name, before, input, lastTransitionTime] of table) {
    const [after] = setCondition(before, input, T0 + 3_600_000 + 456, 7);
    assert.deepEqual(after, { ...input, observedGeneration: 7, lastTransitionTime }, name);
  }
});

test('conditions: others are kept, in order', () => {
  let conditions = setCondition(undefined, { type: 'A', status: 'True', reason: 'R', message: '' }, T0);
  conditions = setCondition(conditions, { type: 'B', status: 'True', reason: 'R', message: '' }, T0);
  conditions = setCondition(conditions, { type: 'A', status: 'False', reason: 'R', message: '' }, T0);
  assert.deepEqual(
    conditions.map((c) => `${c.type}=${c.status}`),
    ['A=False', 'B=True'],
  );
  assert.deepEqual(
    removeCondition(conditions, 'A').map((c) => c.type),
    ['B'],
  );
});
