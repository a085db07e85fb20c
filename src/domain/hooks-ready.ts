// Preflight -> status: status.hooks[] and the HooksReady condition.
import type { HookStatus } from '../api/consistent-backup.ts';
import { boundedList, MAX_LISTED, truncated } from './bounded-lists.ts';
import type { ConditionInput } from './conditions.ts';
import type { MissingHookTargets } from './missing-hook-targets.ts';
import { HOOK_PROBLEM_REASONS, type Preflight } from './preflight.ts';

/** Long enough for every hook's problems in most namespaces; the per-hook lists in status hold the rest. */
const MAX_MESSAGE_LENGTH = 4000;

export function hookStatuses(preflight: Preflight): HookStatus[] {
  return preflight.hooks.map((h) => ({
    name: h.name,
    matchedPods: h.matchedPods.slice(0, MAX_LISTED),
    matchedPodCount: h.matchedPods.length,
    expectedExecutions: h.expectedExecutions,
    problems: boundedList(h.problems.map((p) => p.message)),
  }));
}

/**
 * HooksReady: True when every hook runs in every pod it selects; else False with the most serious reason
 * found (the order of HOOK_PROBLEM_REASONS) and every problem in the message.
 */
export function hooksReadyCondition(
  preflight: Preflight,
  missing: MissingHookTargets | undefined,
): ConditionInput {
  const type = 'HooksReady';
  const found = new Set(preflight.hooks.flatMap((h) => h.problems.map((p) => p.reason)));
  const reason = HOOK_PROBLEM_REASONS.find((r) => found.has(r));
  if (!reason) {
    return {
      type,
      status: 'True',
      reason: 'HooksReady',
      message: `every hook runs in every pod it selects; Velero should attempt ${preflight.expectedExecutions} hook execution${preflight.expectedExecutions === 1 ? '' : 's'} per backup`,
    };
  }
  const problems = preflight.hooks
    .filter((h) => h.problems.length > 0)
    .map((h) => `hook ${h.name}: ${h.problems.map((p) => p.message).join('; ')}`);
  const message = [missing?.message, ...problems].filter((m) => m !== undefined).join('. ');
  return { type, status: 'False', reason, message: truncated(message, MAX_MESSAGE_LENGTH) };
}
