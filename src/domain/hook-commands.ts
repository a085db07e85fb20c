// HookCommandsSafe: a warning, never a rejection, for hook commands users wrote that cannot work as a
// one-shot exec (backup mode, a read lock without a held session, a freeze that never releases itself).
// Preset actions are not linted: they are built and tested to hold and release correctly.
import type { ConsistentBackup } from '../api/consistent-backup.ts';
import { lintHookCommand } from '../hooks/lint.ts';
import { truncated } from './bounded-lists.ts';
import type { ConditionInput } from './conditions.ts';

const MAX_MESSAGE_LENGTH = 4000;

/** The condition for the spec's hooks; undefined when there are none (the condition is then removed). */
export function hookCommandsCondition(cr: ConsistentBackup): ConditionInput | undefined {
  const hooks = cr.spec.hooks ?? [];
  if (hooks.length === 0) return undefined;
  const warnings = hooks.flatMap((hook, i) =>
    (['pre', 'post'] as const).flatMap((phase) =>
      (hook[phase] ?? []).flatMap((action, j) =>
        lintHookCommand(phase, action.command).map(
          (w) => `spec.hooks[${i}].${phase}[${j}] (hook ${hook.name}): ${w.message}`,
        ),
      ),
    ),
  );
  if (warnings.length === 0) {
    return {
      type: 'HookCommandsSafe',
      status: 'True',
      reason: 'NoUnsafeHookCommand',
      message: 'no hook command matches a known pattern that cannot work as a one-shot exec',
    };
  }
  return {
    type: 'HookCommandsSafe',
    status: 'False',
    reason: 'UnsafeHookCommand',
    message: truncated(warnings.join('; '), MAX_MESSAGE_LENGTH),
  };
}
