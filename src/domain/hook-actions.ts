// THE place a hook becomes the exec actions Velero runs. Preset hooks will expand here once the preset
// library (src/hooks/) is wired in; until then they are reported as a problem, so nothing half-done reaches
// Velero.
import type { Hook, HookAction } from '../api/consistent-backup.ts';
import type { VeleroExecHook } from '../api/velero.ts';
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

/** A hook's pre and post actions, or why it cannot run. `field` is the hook's path, e.g. spec.hooks[0]. */
export function hookActions(hook: Hook, field: string): HookActions | { problem: Problem } {
  if (hook.preset) {
    return {
      problem: { field: `${field}.preset`, reason: 'PresetNotWired', message: 'preset expansion not wired' },
    };
  }
  return {
    pre: (hook.pre ?? []).map((a) => execAction(hook, a)),
    post: (hook.post ?? []).map((a) => execAction(hook, a)),
  };
}
