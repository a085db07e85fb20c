// spec.onMissingHookTarget: what happens to a backup while a hook has no pod to run in. Skip holds backups
// back (and pauses the Schedule) until every hook has a target again; Proceed backs up anyway, and the
// reconciler warns with an Event.
import type { ConsistentBackup, MissingHookTargetPolicy } from '../api/consistent-backup.ts';
import { nameList } from './bounded-lists.ts';
import type { Preflight } from './preflight.ts';

export interface MissingHookTargets {
  readonly policy: MissingHookTargetPolicy;
  /** Hooks that run in no pod. */
  readonly hooks: readonly string[];
  /** For a Warning event (Proceed) and for status (Skip). */
  readonly message: string;
}

/** The hooks without a target and what the policy makes of it; undefined when every hook has one (or unknown). */
export function missingHookTargets(
  cr: ConsistentBackup,
  preflight: Preflight | undefined,
): MissingHookTargets | undefined {
  const hooks = preflight?.hooksWithoutTarget ?? [];
  if (hooks.length === 0) return undefined;
  const policy = cr.spec.onMissingHookTarget ?? 'Proceed';
  const one = hooks.length === 1;
  const which = `${one ? 'hook' : 'hooks'} ${nameList(hooks)} ${one ? 'has' : 'have'} no running pod to run in`;
  const consequence =
    policy === 'Skip'
      ? `no backup is taken until ${one ? 'it has' : 'they have'} one${cr.spec.schedule !== undefined ? ' (the Velero Schedule is paused meanwhile)' : ''}`
      : `backups go ahead without ${one ? 'it' : 'them'} and are graded Inconsistent`;
  return { policy, hooks, message: `${which}: ${consequence} (spec.onMissingHookTarget: ${policy})` };
}

/** Whether backups are held back now: Skip, and some hook has no target. */
export function skipsBackups(missing: MissingHookTargets | undefined): boolean {
  return missing?.policy === 'Skip';
}
