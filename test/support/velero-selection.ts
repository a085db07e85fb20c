// Which pods a Velero Backup includes, and which of its hook specs apply to a pod: Velero's include/exclude
// lists (gobwas globs, pkg/util/collections), resource names resolved through discovery, and metav1 label
// selectors. Only pods matter to the stand-in, since hooks run only for pods the backup itself includes.
import type { V1LabelSelector, V1Pod } from '@kubernetes/client-node';
import { LABEL_EXCLUDE_FROM_BACKUP, type BackupResourceHookSpec, type BackupSpec } from './velero-types.ts';

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** collections.IncludesExcludes.ShouldInclude: excludes win; no includes (or "*") means everything. */
export function shouldInclude(value: string, includes: string[] = [], excludes: string[] = []): boolean {
  if (excludes.some((g) => globToRegExp(g).test(value))) return false;
  return includes.length === 0 || includes.includes('*') || includes.some((g) => globToRegExp(g).test(value));
}

/** Discovery resolves "pod", "po" and "pods." to "pods"; other names stay as written. */
function resolveResource(name: string): string {
  const lower = name.toLowerCase();
  return ['pod', 'pods', 'po', 'pods.', 'pod.'].includes(lower) ? 'pods' : lower;
}

function includesPods(includes: string[] = [], excludes: string[] = []): boolean {
  return shouldInclude('pods', includes.map(resolveResource), excludes.map(resolveResource));
}

/** metav1.LabelSelectorAsSelector(...).Matches(labels); an empty selector matches everything. */
export function matchesSelector(selector: V1LabelSelector, labels: Record<string, string> = {}): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const present = key in labels;
    switch (operator) {
      case 'In':
        return present && values.includes(labels[key] as string);
      case 'NotIn':
        return !present || !values.includes(labels[key] as string);
      case 'Exists':
        return present;
      case 'DoesNotExist':
        return !present;
      default:
        return false;
    }
  });
}

/** Old filters (includedResources...) are used as soon as one of them is set (collections.UseOldResourceFilters). */
export function usesOldResourceFilters(spec: BackupSpec): boolean {
  return (
    (spec.includeClusterResources !== undefined && spec.includeClusterResources !== null) ||
    (spec.includedResources?.length ?? 0) > 0 ||
    (spec.excludedResources?.length ?? 0) > 0
  );
}

/**
 * Whether the backup would back this pod up (and so run its hooks): namespace filters, resource filters,
 * label selectors, the exclude-from-backup label and a pending deletion (itemInclusionChecks).
 */
export function backupIncludesPod(spec: BackupSpec, pod: V1Pod): boolean {
  const meta = pod.metadata ?? {};
  if (!shouldInclude(meta.namespace ?? '', spec.includedNamespaces, spec.excludedNamespaces)) return false;
  const podsIncluded = usesOldResourceFilters(spec)
    ? includesPods(spec.includedResources, spec.excludedResources)
    : includesPods(spec.includedNamespaceScopedResources, spec.excludedNamespaceScopedResources);
  if (!podsIncluded) return false;
  if (spec.labelSelector && !matchesSelector(spec.labelSelector, meta.labels)) return false;
  if (spec.orLabelSelectors?.length && !spec.orLabelSelectors.some((s) => matchesSelector(s, meta.labels))) {
    return false;
  }
  if (meta.labels?.[LABEL_EXCLUDE_FROM_BACKUP] === 'true') return false;
  return !meta.deletionTimestamp;
}

/** hook.ResourceHookSelector.applicableTo for a pod. */
export function hookAppliesTo(hook: BackupResourceHookSpec, pod: V1Pod): boolean {
  const meta = pod.metadata ?? {};
  if (!shouldInclude(meta.namespace ?? '', hook.includedNamespaces, hook.excludedNamespaces)) return false;
  if (!includesPods(hook.includedResources, hook.excludedResources)) return false;
  return !hook.labelSelector || matchesSelector(hook.labelSelector, meta.labels);
}
