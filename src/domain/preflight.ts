// Preflight: where each hook will run, judged from the pods of the ConsistentBackup's own namespace the way
// Velero will judge them, and how many hook executions Velero should therefore report for a backup.
import type { ConsistentBackup, Hook } from '../api/consistent-backup.ts';
import { VELERO_EXCLUDE_FROM_BACKUP_LABEL } from '../api/constants.ts';
import { backupSelectorKeeps, podsLeftOutBy } from './backup-scope.ts';
import { hookActions } from './hook-actions.ts';
import { matchesSelector } from './label-selector.ts';
import type { PodSummary } from './pod-summary.ts';
import { describeProblems } from './problems.ts';

/** Why a hook may not run as declared; also the HooksReady reasons, most serious first. */
export const HOOK_PROBLEM_REASONS = [
  'InvalidHook',
  'NoMatchingPods',
  'PodsExcludedFromBackup',
  'PodNotRunning',
  'ContainerNotFound',
  'OverriddenByAnnotation',
] as const;
export type HookProblemReason = (typeof HOOK_PROBLEM_REASONS)[number];

export interface HookProblem {
  readonly reason: HookProblemReason;
  /** Short, naming the pod when it is about one: "pod db-1 is Pending, not Running ...". */
  readonly message: string;
}

export interface HookPreflight {
  readonly name: string;
  /** Pods of the namespace the hook's selector matches, by name. */
  readonly matchedPods: readonly string[];
  /** Matched pods in which Velero will run at least one of the hook's actions. */
  readonly targetPods: readonly string[];
  /** Sum over target pods of the hook's actions that no pod annotation replaces. */
  readonly expectedExecutions: number;
  readonly problems: readonly HookProblem[];
}

export interface Preflight {
  readonly hooks: readonly HookPreflight[];
  /**
   * Executions of pods' own annotation hooks (one per annotated phase of each running pod the backup
   * includes): Velero counts them in hooksAttempted as well.
   */
  readonly annotationExecutions: number;
  readonly annotatedPods: readonly string[];
  /** What Velero's hooksAttempted should reach: the hooks' expected executions plus the annotation ones. */
  readonly expectedExecutions: number;
  /** Names of hooks that run in no pod at all. */
  readonly hooksWithoutTarget: readonly string[];
}

const PHASES = ['pre', 'post'] as const;
type Phase = (typeof PHASES)[number];

/** How many actions a hook has in each phase. */
type ActionCounts = Readonly<Record<Phase, number>>;

function notRunning(pod: PodSummary): string {
  const phase = pod.phase || 'not yet scheduled';
  return pod.phase === 'Succeeded' || pod.phase === 'Failed'
    ? `pod ${pod.name} is ${phase}: Velero skips hooks in a finished pod`
    : `pod ${pod.name} is ${phase}, not Running: Velero's hook execs in it would fail`;
}

/** The problem that keeps a hook's actions out of a pod, or the phases they run in. */
function judgePod(
  cr: ConsistentBackup,
  hookContainer: string,
  counts: ActionCounts,
  pod: PodSummary,
): { problem: HookProblem } | { phases: Phase[]; overridden: Phase[] } {
  if (pod.excludedFromBackup) {
    return {
      problem: {
        reason: 'PodsExcludedFromBackup',
        message: `pod ${pod.name} is labelled ${VELERO_EXCLUDE_FROM_BACKUP_LABEL}=true, and Velero runs hooks only in pods it backs up`,
      },
    };
  }
  if (!backupSelectorKeeps(cr, pod.labels)) {
    return {
      problem: {
        reason: 'PodsExcludedFromBackup',
        message: `pod ${pod.name} is left out by spec.labelSelector, and Velero runs hooks only in pods it backs up`,
      },
    };
  }
  if (pod.phase !== 'Running') return { problem: { reason: 'PodNotRunning', message: notRunning(pod) } };
  if (!pod.containers.includes(hookContainer)) {
    return {
      problem: {
        reason: 'ContainerNotFound',
        message: `pod ${pod.name} has no container ${hookContainer} (it has ${pod.containers.join(', ') || 'none'})`,
      },
    };
  }
  const declared = PHASES.filter((phase) => counts[phase] > 0);
  const overridden = declared.filter((phase) => pod.hookAnnotations[phase]);
  return { phases: declared.filter((phase) => !overridden.includes(phase)), overridden };
}

function overrideProblem(pod: string, phases: readonly Phase[], allOverridden: boolean): HookProblem {
  return {
    reason: 'OverriddenByAnnotation',
    message: `pod ${pod} has Velero ${phases.join(' and ')} hook annotations, which replace this hook's ${phases.join(' and ')} actions there${allOverridden ? ', so none of them runs' : ''}`,
  };
}

function preflightHook(
  cr: ConsistentBackup,
  hook: Hook,
  index: number,
  pods: readonly PodSummary[],
  leftOutBy: string | undefined,
): HookPreflight {
  const matched = pods.filter((pod) => matchesSelector(pod.labels, hook.selector));
  const none = {
    name: hook.name,
    matchedPods: matched.map((pod) => pod.name),
    targetPods: [],
    expectedExecutions: 0,
  };
  const actions = hookActions(hook, `spec.hooks[${index}]`);
  if ('problems' in actions) {
    return { ...none, problems: [{ reason: 'InvalidHook', message: describeProblems(actions.problems) }] };
  }
  if (matched.length === 0) {
    const message = `no pod of namespace ${cr.metadata?.namespace ?? ''} matches the selector`;
    return { ...none, problems: [{ reason: 'NoMatchingPods', message }] };
  }
  if (leftOutBy) {
    const message = `${leftOutBy} leaves every pod out of the backup, and Velero runs hooks only in pods it backs up`;
    return { ...none, problems: [{ reason: 'PodsExcludedFromBackup', message }] };
  }
  const counts: ActionCounts = { pre: actions.pre.length, post: actions.post.length };
  const problems: HookProblem[] = [];
  const targetPods: string[] = [];
  let expectedExecutions = 0;
  for (const pod of matched) {
    const verdict = judgePod(cr, hook.container, counts, pod);
    if ('problem' in verdict) {
      problems.push(verdict.problem);
      continue;
    }
    if (verdict.overridden.length > 0) {
      problems.push(overrideProblem(pod.name, verdict.overridden, verdict.phases.length === 0));
    }
    if (verdict.phases.length === 0) continue;
    targetPods.push(pod.name);
    expectedExecutions += verdict.phases.reduce((sum, phase) => sum + counts[phase], 0);
  }
  return { ...none, targetPods, expectedExecutions, problems };
}

/**
 * Each hook of the ConsistentBackup checked against the given pods. Pods of other namespaces are ignored
 * before anything else: hooks only ever run in the ConsistentBackup's own namespace, and status must never
 * name another namespace's pods.
 */
export function preflightHooks(cr: ConsistentBackup, pods: readonly PodSummary[]): Preflight {
  const namespace = cr.metadata?.namespace ?? '';
  const own = pods
    .filter((pod) => namespace !== '' && pod.namespace === namespace)
    .sort((a, b) => a.name.localeCompare(b.name));
  const leftOutBy = podsLeftOutBy(cr);
  const hooks = (cr.spec.hooks ?? []).map((hook, i) => preflightHook(cr, hook, i, own, leftOutBy));
  // Velero runs a pod's annotation hooks whether or not a spec hook selects it; they only matter here as
  // part of the count to expect, so a ConsistentBackup without hooks expects nothing.
  const annotated =
    hooks.length === 0 || leftOutBy
      ? []
      : own.filter(
          (pod) =>
            pod.phase === 'Running' &&
            !pod.excludedFromBackup &&
            backupSelectorKeeps(cr, pod.labels) &&
            PHASES.some((phase) => pod.hookAnnotations[phase]),
        );
  const annotationExecutions = annotated.reduce(
    (sum, pod) => sum + PHASES.filter((phase) => pod.hookAnnotations[phase]).length,
    0,
  );
  return {
    hooks,
    annotationExecutions,
    annotatedPods: annotated.map((pod) => pod.name),
    expectedExecutions: hooks.reduce((sum, h) => sum + h.expectedExecutions, annotationExecutions),
    hooksWithoutTarget: hooks.filter((h) => h.targetPods.length === 0).map((h) => h.name),
  };
}
