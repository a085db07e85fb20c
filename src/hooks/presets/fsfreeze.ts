import type { PresetDefinition } from './definition.ts';
import { checkAbsolutePath, stateDirParameter } from './parameters.ts';
import { timedFreezeScripts } from './timed-freeze.ts';

// Writing to a frozen filesystem blocks, so the state directory (and the timer's output) must live on another.
const BODY = String.raw`
command -v fsfreeze >/dev/null 2>&1 || cbo_fail client "fsfreeze (util-linux or busybox) is not in the container's PATH"
[ -d "$CBO_MOUNT" ] || cbo_fail mount "$CBO_MOUNT is not a directory in the container"
if command -v mountpoint >/dev/null 2>&1 && ! mountpoint -q "$CBO_MOUNT"; then
  cbo_fail mount "$CBO_MOUNT is not a mount point; fsfreeze would freeze the filesystem that contains it"
fi
cbo_state_dir
cbo_state_dev=$(stat -c %d "$CBO_STATE" 2>/dev/null)
if [ -n "$cbo_state_dev" ] && [ "$cbo_state_dev" = "$(stat -c %d "$CBO_MOUNT" 2>/dev/null)" ]; then
  cbo_fail state "the state directory $CBO_STATE is on the filesystem to freeze; set stateDir to another one"
fi
cbo_freeze() { cbo_bounded "$CBO_TIMEOUT" fsfreeze -f "$CBO_MOUNT"; }
set -- fsfreeze -u "$CBO_MOUNT"
`;

export const fsfreezePreset: PresetDefinition = {
  name: 'fsfreeze',
  description:
    'Freezes the filesystem mounted at mountPath (fsfreeze -f: flush, then block every write) before the ' +
    'snapshot and thaws it (fsfreeze -u) after. A detached timer thaws it after timeout + freezeBudget when ' +
    'no post hook came first. The freeze holds for every process on the node that writes to that ' +
    'filesystem, and a container restart loses the timer (thaw by hand then). Needs a privileged container ' +
    '(CAP_SYS_ADMIN) with fsfreeze (util-linux or busybox) in the image; keep freezeBudget below what the ' +
    "pod's liveness probe tolerates.",
  timeout: { defaultSeconds: 30, description: 'How long fsfreeze -f (which flushes first) may take.' },
  freezeBudget: {
    defaultSeconds: 60,
    description:
      'The timer thaws timeout + freezeBudget after the pre hook started, when no post hook thawed first; ' +
      'writes are blocked at most that long.',
  },
  parameters: {
    mountPath: {
      required: true,
      description: "The mount point of the volume to freeze, as the hook's container sees it.",
      check: (value) =>
        checkAbsolutePath(value) ?? (value === '/' ? 'must not be the root filesystem' : undefined),
    },
    stateDir: stateDirParameter('fsfreeze'),
  },
  crossCheck: (parameters) => {
    const { mountPath, stateDir } = parameters;
    if (mountPath === undefined || stateDir === undefined) return [];
    const mount = mountPath.replace(/\/+$/, '');
    return stateDir === mount || stateDir.startsWith(`${mount}/`)
      ? ['stateDir must not be under mountPath: writing to a frozen filesystem blocks']
      : [];
  },
  scripts: ({ timeoutSeconds, parameters }) =>
    timedFreezeScripts(
      { CBO_WHAT: `fsfreeze of ${parameters.mountPath ?? ''}`, CBO_MOUNT: parameters.mountPath ?? '' },
      BODY,
      timeoutSeconds,
    ),
};
