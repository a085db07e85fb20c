import type { PresetDefinition } from './definition.ts';
import {
  CONNECT_TIMEOUT_SECONDS,
  hostParameter,
  passwordEnvParameter,
  passwordFileParameter,
  passwordSourceProblems,
  portParameter,
  socketParameter,
  userParameter,
} from './parameters.ts';

const PASSWORD_ENVS = ['REDISCLI_AUTH', 'REDIS_PASSWORD'];

// BGSAVE answers before the save is written. The save that counts is one started after this hook began:
// it is done when no save is in progress and LASTSAVE has moved past its value from before. LASTSAVE counts
// whole seconds, so BGSAVE is sent only once the server's clock is past that value. A save or other child
// already running makes BGSAVE refuse; the hook waits and asks again.
const CONNECT = String.raw`
command -v redis-cli >/dev/null 2>&1 || cbo_fail client "redis-cli is not in the container's PATH"
cbo_secret "$CBO_PASSWORD_FILE" $CBO_PASSWORD_ENVS
[ -n "$cbo_value" ] && REDISCLI_AUTH=$cbo_value && export REDISCLI_AUTH
cbo_redis() {
  cbo_reply=$(cbo_bounded "$CBO_CONNECT_TIMEOUT" redis-cli --no-auth-warning "$@" 2>&1)
  [ $? = 124 ] && cbo_reply="no answer within $CBO_CONNECT_TIMEOUT seconds"
  cbo_reply=$(printf '%s\n' "$cbo_reply" | tr -d '\r')
}
cbo_integer() {
  cbo_redis "$@"
  cbo_reply=$(printf '%s\n' "$cbo_reply" | head -n 1)
  case $cbo_reply in '' | *[!0-9]*) return 1 ;; esac
}
`;

const PRE_BODY =
  CONNECT +
  String.raw`
cbo_field() { printf '%s\n' "$cbo_reply" | sed -n "s/^$1://p"; }
cbo_deadline_all=$(($(cbo_now) + CBO_TIMEOUT))
cbo_integer "$@" LASTSAVE || cbo_fail connect "cannot read LASTSAVE from the server: $cbo_reply"
cbo_before=$cbo_reply
cbo_past_before() { cbo_integer "$@" TIME && [ "$cbo_reply" -gt "$cbo_before" ]; }
cbo_wait_until "$cbo_deadline_all" cbo_past_before "$@" ||
  cbo_fail timeout "the server clock did not pass LASTSAVE ($cbo_before): $cbo_reply"
cbo_bgsave() {
  cbo_redis "$@" BGSAVE
  case $cbo_reply in
    *'Background saving started'*) return 0 ;;
    *'already in progress'* | *'child process is active'* | *'rewriting in progress'*) return 1 ;;
    *) cbo_fail bgsave "BGSAVE was refused: $cbo_reply" ;;
  esac
}
cbo_wait_until "$cbo_deadline_all" cbo_bgsave "$@" ||
  cbo_fail timeout "another save or rewrite was still running after $CBO_TIMEOUT seconds, so BGSAVE could not start; raise timeout"
cbo_finished() {
  cbo_redis "$@" INFO persistence
  [ "$(cbo_field rdb_bgsave_in_progress)" = 0 ]
}
cbo_wait_until "$cbo_deadline_all" cbo_finished "$@" ||
  cbo_fail timeout "the background save did not finish within $CBO_TIMEOUT seconds; raise timeout (rdb_bgsave_in_progress:$(cbo_field rdb_bgsave_in_progress))"
[ "$(cbo_field rdb_last_bgsave_status)" = ok ] ||
  cbo_fail bgsave "the background save failed (rdb_last_bgsave_status:$(cbo_field rdb_last_bgsave_status)); see the server log"
cbo_after=$(cbo_field rdb_last_save_time)
[ "$cbo_after" -gt "$cbo_before" ] 2>/dev/null ||
  cbo_fail bgsave "no save has completed since the hook started (LASTSAVE $cbo_before, now $cbo_after)"
cbo_say "saved preset=redis lastsave=$cbo_after"
`;

// Restore check: the restored server answers PING, and holds at least minKeys keys (DBSIZE of database 0).
const CHECK_BODY =
  CONNECT +
  String.raw`
cbo_redis "$@" PING
[ "$cbo_reply" = PONG ] || cbo_fail connect "PING was not answered with PONG: $cbo_reply"
cbo_integer "$@" DBSIZE || cbo_fail query "cannot read DBSIZE: $cbo_reply"
cbo_say "check preset=redis ok keys=$cbo_reply"
[ "$cbo_reply" -ge "$CBO_MIN_KEYS" ] || cbo_fail keys "$cbo_reply keys, fewer than minKeys=$CBO_MIN_KEYS"
`;

export const redisPreset: PresetDefinition = {
  name: 'redis',
  description:
    'Runs BGSAVE and waits until the save it started has been written (rdb_bgsave_in_progress:0 and ' +
    'LASTSAVE past its value from before), so the snapshot holds an RDB file at least as new as the hook. ' +
    'Fails when the save fails or does not finish within timeout. Has no post hook and holds no lock.',
  timeout: {
    defaultSeconds: 120,
    description: 'How long the save may take, waiting for a running one included.',
  },
  parameters: {
    host: hostParameter('127.0.0.1'),
    port: portParameter('6379'),
    socket: socketParameter('none (TCP)'),
    user: userParameter('none (the default user)'),
    passwordEnv: passwordEnvParameter(PASSWORD_ENVS),
    passwordFile: passwordFileParameter,
  },
  crossCheck: (parameters) => [
    ...passwordSourceProblems(parameters),
    ...(parameters.socket !== undefined && (parameters.host !== undefined || parameters.port !== undefined)
      ? ['set either socket or host/port, not both']
      : []),
  ],
  scripts: ({ timeoutSeconds, parameters }) => {
    const variables = {
      CBO_PASSWORD_FILE: parameters.passwordFile ?? '',
      CBO_PASSWORD_ENVS: parameters.passwordEnv ?? PASSWORD_ENVS.join(' '),
    };
    const argv = [
      ...(parameters.socket
        ? ['-s', parameters.socket]
        : ['-h', parameters.host ?? '127.0.0.1', '-p', parameters.port ?? '6379']),
      ...(parameters.user ? ['--user', parameters.user] : []),
    ];
    return {
      pre: {
        variables,
        argv,
        body: PRE_BODY,
        // LASTSAVE, then everything until the deadline, where one more call may just have started
        boundSeconds: CONNECT_TIMEOUT_SECONDS + timeoutSeconds + CONNECT_TIMEOUT_SECONDS + 5,
      },
      check: {
        variables: { ...variables, CBO_MIN_KEYS: parameters.minKeys ?? '0' },
        argv,
        body: CHECK_BODY,
        // PING and DBSIZE
        boundSeconds: 2 * CONNECT_TIMEOUT_SECONDS + 5,
      },
    };
  },
};
