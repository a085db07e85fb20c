// THE place a hook becomes the exec actions Velero runs: its own pre/post actions, or its preset expanded by
// the preset library (src/hooks/), always in the hook's container and with explicit onError and timeout.
import type { Hook, HookAction } from '../api/consistent-backup.ts';
import type { VeleroExecHook } from '../api/velero.ts';
import type { ExecHook } from '../hooks/exec-hook.ts';
import { expandPreset } from '../hooks/presets/expand.ts';
import type { Problem } from './problems.ts';

export interface HookActions {
  readonly pre: VeleroExecHook[];
  readonly post: VeleroExecHook[];
}

/** The CRD's defaults, applied again here for objects that never went through the API server. */
export const DEFAULT_HOOK_TIMEOUT = '30s';
export const DEFAULT_ON_ERROR = 'Fail';

function execAction(hook: Hook, action: HookAction): VeleroExecHook {
  return {
    container: hook.container,
    command: [...action.command],
    // Velero treats an unset onError as Continue: always write it.
    onError: action.onError ?? DEFAULT_ON_ERROR,
    timeout: action.timeout ?? DEFAULT_HOOK_TIMEOUT,
  };
}

function presetAction(hook: Hook, exec: ExecHook): VeleroExecHook {
  return {
    container: hook.container,
    command: [...exec.command],
    onError: exec.onError,
    timeout: exec.timeout,
  };
}

/**
 * The field a preset problem is about. The preset library reports plain sentences that start with what they
 * concern; problems that involve several parameters (e.g. passwordEnv and passwordFile) point at them all.
 */
function presetProblemField(field: string, text: string): string {
  const parameter = /^unknown parameter "([^"]*)"/.exec(text)?.[1] ?? /^parameter ([^\s:]+)/.exec(text)?.[1];
  if (parameter !== undefined) return `${field}.preset.parameters.${parameter}`;
  const setting = /^(timeout|freezeBudget)\b/.exec(text)?.[1];
  if (setting !== undefined) return `${field}.preset.${setting}`;
  return text.startsWith('unknown preset') ? `${field}.preset.name` : `${field}.preset.parameters`;
}

/** A hook's pre and post actions, or why it cannot run. `field` is the hook's path, e.g. spec.hooks[0]. */
export function hookActions(hook: Hook, field: string): HookActions | { problems: Problem[] } {
  if (hook.preset) {
    const expansion = expandPreset(hook.preset);
    if ('problems' in expansion) {
      return {
        problems: expansion.problems.map((message) => ({
          field: presetProblemField(field, message),
          reason: 'InvalidPreset',
          message: `preset ${hook.preset?.name}: ${message}`,
        })),
      };
    }
    return {
      pre: expansion.pre.map((exec) => presetAction(hook, exec)),
      post: expansion.post.map((exec) => presetAction(hook, exec)),
    };
  }
  return {
    pre: (hook.pre ?? []).map((a) => execAction(hook, a)),
    post: (hook.post ?? []).map((a) => execAction(hook, a)),
  };
}
