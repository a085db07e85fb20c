import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LabelSelector } from '../../src/api/consistent-backup.ts';
import { matchesSelector, selectorContradiction } from '../../src/domain/label-selector.ts';

test('selectors that can and cannot match a pod', () => {
  const table: [string, LabelSelector[], RegExp | undefined][] = [
    ['plain labels', [{ matchLabels: { app: 'db' } }], undefined],
    [
      'two selectors agreeing',
      [
        { matchLabels: { app: 'db' } },
        { matchExpressions: [{ key: 'app', operator: 'In', values: ['db', 'cache'] }] },
      ],
      undefined,
    ],
    [
      'NotIn another value',
      [
        { matchLabels: { app: 'db' } },
        { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] },
      ],
      undefined,
    ],
    [
      'NotIn and DoesNotExist agree',
      [
        {
          matchExpressions: [
            { key: 'a', operator: 'NotIn', values: ['x'] },
            { key: 'a', operator: 'DoesNotExist' },
          ],
        },
      ],
      undefined,
    ],
    [
      'different values',
      [{ matchLabels: { app: 'db' } }, { matchLabels: { app: 'web' } }],
      /no value of label app/,
    ],
    [
      'In sets without overlap',
      [
        {
          matchExpressions: [
            { key: 'a', operator: 'In', values: ['x'] },
            { key: 'a', operator: 'In', values: ['y'] },
          ],
        },
      ],
      /label a/,
    ],
    [
      'value excluded',
      [{ matchLabels: { app: 'db' }, matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }] }],
      /no value of label app/,
    ],
    [
      'Exists and DoesNotExist',
      [
        {
          matchExpressions: [
            { key: 'a', operator: 'Exists' },
            { key: 'a', operator: 'DoesNotExist' },
          ],
        },
      ],
      /both present and absent/,
    ],
    [
      'label and DoesNotExist',
      [{ matchLabels: { a: '1' } }, { matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }],
      /both present and absent/,
    ],
  ];
  for (const [name, selectors, expected] of table) {
    const result = selectorContradiction(selectors);
    if (expected) assert.match(result ?? '', expected, name);
    else assert.equal(result, undefined, name);
  }
});

test('whether a pod with these labels matches, as Kubernetes decides', () => {
  const labels = { app: 'db', tier: 'data', empty: '' };
  const table: [string, LabelSelector, boolean][] = [
    ['empty selector: everything', {}, true],
    ['matchLabels all present', { matchLabels: { app: 'db', tier: 'data' } }, true],
    ['matchLabels one differs', { matchLabels: { app: 'db', tier: 'web' } }, false],
    ['matchLabels key missing', { matchLabels: { zone: 'a' } }, false],
    ['matchLabels empty value', { matchLabels: { empty: '' } }, true],
    ['In', { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] }, true],
    ['In, other values', { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] }, false],
    ['In, key missing', { matchExpressions: [{ key: 'zone', operator: 'In', values: [''] }] }, false],
    ['NotIn', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }] }, false],
    ['NotIn, key missing', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'empty', operator: 'Exists' }] }, true],
    ['Exists, missing', { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist, present', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    [
      'labels and expressions must all hold',
      {
        matchLabels: { app: 'db' },
        matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['data'] }],
      },
      false,
    ],
  ];
  for (const [name, selector, expected] of table)
    assert.equal(matchesSelector(labels, selector), expected, name);
});
