// metav1.Condition bookkeeping: lastTransitionTime moves only when the status flips, so rewriting the same
// condition is not a change and causes no write.
import type { Condition } from '../api/consistent-backup.ts';
import { formatTime } from './time.ts';

export type ConditionStatus = Condition['status'];

export interface ConditionInput {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Sets one condition, keeping the others and the order. `nowMs` becomes lastTransitionTime only when the
 * condition is new or its status changed; seconds precision, as Kubernetes writes it.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  nowMs: number,
  observedGeneration?: number,
): Condition[] {
  const existing = findCondition(conditions, input.type);
  const next: Condition = {
    type: input.type,
    status: input.status,
    ...(observedGeneration !== undefined && { observedGeneration }),
    lastTransitionTime:
      existing && existing.status === input.status
        ? existing.lastTransitionTime
        : formatTime(Math.floor(nowMs / 1000) * 1000),
    reason: input.reason,
    message: input.message,
  };
  if (!existing) return [...(conditions ?? []), next];
  return (conditions ?? []).map((c) => (c.type === input.type ? next : c));
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}
