import type { PresetScripts } from './definition.ts';

/**
 * The scripts of a freeze that outlives the exec by itself (fsyncLock, fsfreeze), built on the library's
 * cbo_freeze_pre/cbo_freeze_post. `body` defines cbo_freeze (take the freeze, bounded by CBO_TIMEOUT),
 * sets "$@" to the command that undoes it, and prepares the state directory.
 */
export function timedFreezeScripts(
  variables: Record<string, string>,
  body: string,
  timeoutSeconds: number,
): PresetScripts {
  // pre: start the timer (10), freeze, and on failure stop the timer (10); post: stop the timer, undo, and
  // on failure start a new timer.
  const extraSeconds = 25;
  return {
    pre: { variables, body: `${body}\ncbo_freeze_pre "$@"\n`, boundSeconds: timeoutSeconds + extraSeconds },
    post: { variables, body: `${body}\ncbo_freeze_post "$@"\n`, boundSeconds: timeoutSeconds + extraSeconds },
  };
}
