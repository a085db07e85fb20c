// Label selectors: whether they can match anything at all, alone or together (a hook whose selector
// contradicts itself, or the backup's own selector, never runs, and Velero would not say so), and whether a
// pod's labels match one (preflight).
import type { LabelSelector } from '../api/consistent-backup.ts';

interface KeyConstraint {
  allowed?: Set<string>;
  forbidden: Set<string>;
  mustExist: boolean;
  mustNotExist: boolean;
}

function constraintsOf(selectors: readonly LabelSelector[]): Map<string, KeyConstraint> {
  const byKey = new Map<string, KeyConstraint>();
  const constraint = (key: string): KeyConstraint => {
    let c = byKey.get(key);
    if (!c) byKey.set(key, (c = { forbidden: new Set(), mustExist: false, mustNotExist: false }));
    return c;
  };
  const allow = (key: string, values: readonly string[]) => {
    const c = constraint(key);
    c.allowed = new Set(values.filter((v) => c.allowed === undefined || c.allowed.has(v)));
    c.mustExist = true;
  };
  for (const selector of selectors) {
    for (const [key, value] of Object.entries(selector.matchLabels ?? {})) allow(key, [value]);
    for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
      if (operator === 'In') allow(key, values);
      else if (operator === 'NotIn') values.forEach((v) => constraint(key).forbidden.add(v));
      else if (operator === 'Exists') constraint(key).mustExist = true;
      else constraint(key).mustNotExist = true;
    }
  }
  return byKey;
}

/** Why no set of labels satisfies all the selectors together, or undefined when some set does. */
export function selectorContradiction(selectors: readonly LabelSelector[]): string | undefined {
  for (const [key, c] of constraintsOf(selectors)) {
    if (c.mustExist && c.mustNotExist) return `label ${key} would have to be both present and absent`;
    if (c.allowed && [...c.allowed].every((v) => c.forbidden.has(v))) {
      return `no value of label ${key} satisfies every requirement on it`;
    }
  }
  return undefined;
}

/**
 * Whether labels satisfy a selector, as metav1.LabelSelectorAsSelector reads it: every matchLabels entry and
 * every requirement must hold; an empty selector matches everything.
 */
export function matchesSelector(labels: Readonly<Record<string, string>>, selector: LabelSelector): boolean {
  const has = (key: string) => Object.hasOwn(labels, key);
  const matchLabels = Object.entries(selector.matchLabels ?? {});
  if (!matchLabels.every(([key, value]) => has(key) && labels[key] === value)) return false;
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return has(key) && values.includes(labels[key] ?? '');
      case 'NotIn':
        return !has(key) || !values.includes(labels[key] ?? '');
      case 'Exists':
        return has(key);
      default:
        return !has(key);
    }
  });
}
