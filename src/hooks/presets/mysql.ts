import type { PresetDefinition } from './definition.ts';
import {
  CONNECT_TIMEOUT_SECONDS,
  checkAbsolutePath,
  hostParameter,
  passwordEnvParameter,
  passwordFileParameter,
  passwordSourceProblems,
  portParameter,
  socketParameter,
  stateDirParameter,
  userParameter,
} from './parameters.ts';

const PASSWORD_ENVS = ['MYSQL_PWD', 'MARIADB_ROOT_PASSWORD', 'MYSQL_ROOT_PASSWORD'];
const CLIENTS = ['mariadb', 'mysql'];
/** A client call: connect timeout plus a short query. */
const CALL_SECONDS = CONNECT_TIMEOUT_SECONDS + 10;
/** Starting a detached process, and stopping one (TERM, then KILL). */
const DETACH_SECONDS = 10;
const STOP_SECONDS = 10;

// Both hooks: pick the client, export MYSQL_PWD (read by both clients; the password never appears in an
// argument list), and cbo_sql for short queries. "$@" holds the connection options.
const COMMON = String.raw`
if [ -z "$CBO_CLIENT" ]; then
  for cbo_candidate in mariadb mysql; do
    command -v "$cbo_candidate" >/dev/null 2>&1 && CBO_CLIENT=$cbo_candidate && break
  done
  [ -n "$CBO_CLIENT" ] || cbo_fail client "neither mariadb nor mysql (the client) is in the container's PATH"
fi
cbo_secret "$CBO_PASSWORD_FILE" $CBO_PASSWORD_ENVS
[ -n "$cbo_value" ] && MYSQL_PWD=$cbo_value && export MYSQL_PWD
cbo_sql() {
  cbo_bounded $((CBO_CONNECT_TIMEOUT + 10)) "$CBO_CLIENT" "$@" --batch --skip-column-names \
    --connect-timeout="$CBO_CONNECT_TIMEOUT"
}
cbo_holder_line() { sed -n "s/^$1 //p" "$CBO_STATE/holder.out" 2>/dev/null | head -n 1; }
# Ends the holder's session by its connection id: killing the client alone would leave the server-side
# SLEEP, and the lock with it, running until the budget ends.
cbo_end_holder() {
  cbo_conn=$(cbo_holder_line cbo-connection)
  if [ -n "$cbo_conn" ]; then
    cbo_out=$(cbo_sql "$@" -e "KILL CONNECTION $cbo_conn" 2>&1) || case $cbo_out in
      *1094* | *'Unknown thread'*) ;;
      *) return 1 ;;
    esac
  fi
  cbo_stop "$(cbo_pid_of holder)"
}
`;

// The holder is one client session: it takes the lock, reports its connection id, the binlog coordinates
// and readiness as lines of output, then sleeps on the server for the budget, so that the lock ends by itself
// when no post hook comes. lock_wait_timeout bounds FLUSH TABLES WITH READ LOCK, which otherwise waits for
// long-running statements while blocking every writer.
const PRE_BODY = String.raw`
cbo_state_dir
cbo_refuse_if_running holder 'A read lock (FLUSH TABLES WITH READ LOCK)'
rm -f "$CBO_STATE"/holder.*
cbo_probe=$(cbo_sql "$@" -e 'SELECT VERSION(), @@GLOBAL.log_bin' 2>"$CBO_STATE/probe.err") ||
  cbo_fail connect "cannot connect to the server: $(cat "$CBO_STATE/probe.err")"
cbo_version=$(printf '%s\n' "$cbo_probe" | cut -f 1)
case $cbo_version in
  *MariaDB*) cbo_status='SHOW MASTER STATUS' cbo_gtid='@@GLOBAL.gtid_binlog_pos' ;;
  5.* | 8.0.* | 8.1.*) cbo_status='SHOW MASTER STATUS' cbo_gtid='@@GLOBAL.gtid_executed' ;;
  *) cbo_status='SHOW BINARY LOG STATUS' cbo_gtid='@@GLOBAL.gtid_executed' ;;
esac
[ "$(printf '%s\n' "$cbo_probe" | cut -f 2)" = 1 ] || cbo_status='DO 0'
cbo_detach holder "$CBO_CLIENT" "$@" --batch --skip-column-names --unbuffered \
  --connect-timeout="$CBO_CONNECT_TIMEOUT" -e "
SET SESSION lock_wait_timeout = $CBO_TIMEOUT;
SELECT CONCAT('cbo-connection ', CONNECTION_ID());
FLUSH TABLES WITH READ LOCK;
SELECT 'cbo-binlog-begin';
$cbo_status;
SELECT 'cbo-binlog-end';
SELECT CONCAT('cbo-gtid ', REPLACE(COALESCE($cbo_gtid, ''), CHAR(10), ''));
SELECT 'cbo-ready';
DO SLEEP($CBO_BUDGET);" || cbo_fail detach "could not start the session that holds the lock"
cbo_holder=$(cbo_pid_of holder)
cbo_ready() { grep -qx cbo-ready "$CBO_STATE/holder.out"; }
cbo_settled() { cbo_ready || cbo_dead "$cbo_holder"; }
cbo_wait_until $(($(cbo_now) + CBO_TIMEOUT + 5)) cbo_settled
if ! cbo_ready; then
  cbo_said=$(grep -v '^cbo-' "$CBO_STATE/holder.out" | tail -n 3)
  cbo_end_holder "$@"
  rm -f "$CBO_STATE"/holder.*
  [ -n "$cbo_said" ] && cbo_fail lock "FLUSH TABLES WITH READ LOCK failed: $cbo_said"
  cbo_fail lock "FLUSH TABLES WITH READ LOCK was not granted within $CBO_TIMEOUT seconds (long-running statements or transactions hold it up); raise timeout or back up at a quieter time"
fi
cbo_binlog=$(sed -n '/^cbo-binlog-begin$/,/^cbo-binlog-end$/p' "$CBO_STATE/holder.out" | sed '1d;$d' | head -n 1)
cbo_say "ready preset=mysql connection=$(cbo_holder_line cbo-connection) pid=$cbo_holder expiresAfter=$CBO_BUDGET""s"
if [ -n "$cbo_binlog" ]; then
  cbo_say "binlog file=$(printf '%s' "$cbo_binlog" | cut -f 1) position=$(printf '%s' "$cbo_binlog" | cut -f 2) gtid=$(cbo_holder_line cbo-gtid)"
else
  cbo_say "binlog enabled=false"
fi
`;

// The session is gone from the process list once the server has ended it, and its global read lock with it.
const POST_BODY = String.raw`
[ -s "$CBO_STATE/holder.out" ] ||
  cbo_fail no-session "no held session found in $CBO_STATE: the pre hook did not run in this container, or it used another stateDir"
cbo_conn=$(cbo_holder_line cbo-connection)
cbo_was_held=no
cbo_alive "$(cbo_pid_of holder)" && cbo_was_held=yes
cbo_end_holder "$@" || cbo_fail connect "cannot end the holder session $cbo_conn: $cbo_out"
cbo_session_gone() {
  [ "$(cbo_sql "$@" -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = $cbo_conn" 2>/dev/null)" = 0 ]
}
if [ -n "$cbo_conn" ]; then
  cbo_wait_until $(($(cbo_now) + 10)) cbo_session_gone "$@" ||
    cbo_fail release "the holder session $cbo_conn was killed but the server still lists it"
fi
rm -f "$CBO_STATE"/holder.*
[ "$cbo_was_held" = yes ] ||
  cbo_fail expired "the read lock had already ended (freeze budget $CBO_BUDGET seconds) before the post hook ran; the snapshot may include writes made after it; raise freezeBudget"
cbo_say "released preset=mysql connection=$cbo_conn"
`;

// Restore check: the restored server accepts a connection and answers a query (the user's, else SELECT 1).
const CHECK_BODY = String.raw`
cbo_out=$(cbo_sql "$@" -e "$CBO_QUERY" 2>&1)
case $? in
  0) cbo_say "check preset=mysql ok answer=$(printf '%s' "$cbo_out" | head -n 1 | cut -c1-64)" ;;
  124) cbo_fail timeout "no answer within $((CBO_CONNECT_TIMEOUT + 10)) seconds" ;;
  *) cbo_fail query "cannot connect or the query failed: $cbo_out" ;;
esac
`;

export const mysqlPreset: PresetDefinition = {
  name: 'mysql',
  description:
    'For MySQL and MariaDB: the pre hook starts a detached client session that takes FLUSH TABLES WITH READ ' +
    'LOCK and holds it, waits until the lock is held, prints the binary log position (and GTID) at the ' +
    'freeze, and exits. The post hook ends that session (KILL) and checks that the server no longer lists ' +
    'it. The session ends by itself after freezeBudget when no post hook comes (Velero skips post hooks ' +
    'when it restarts or a pre hook fails), so writes are blocked for at most timeout + freezeBudget. Needs ' +
    'the RELOAD privilege (and REPLICATION CLIENT or BINLOG MONITOR for the binlog position).',
  timeout: {
    defaultSeconds: 30,
    description: 'How long the pre hook waits for the read lock (lock_wait_timeout of the holder session).',
  },
  freezeBudget: {
    defaultSeconds: 60,
    description: 'How long the read lock is held at most once taken, when no post hook ends it earlier.',
  },
  parameters: {
    host: hostParameter('the client default (the Unix socket for localhost)'),
    port: portParameter('3306 (used with host; without host the client takes the socket)'),
    socket: socketParameter('the client default'),
    user: { ...userParameter('root'), default: 'root' },
    passwordEnv: passwordEnvParameter(PASSWORD_ENVS),
    passwordFile: passwordFileParameter,
    defaultsFile: {
      description:
        'An option file in the container passed as --defaults-extra-file (e.g. a mounted Secret with a ' +
        '[client] section), for credentials or TLS options.',
      check: checkAbsolutePath,
    },
    client: {
      description: 'The client program. Default: mariadb if the image has it, else mysql.',
      check: (value) => (CLIENTS.includes(value) ? undefined : `must be one of ${CLIENTS.join(', ')}`),
    },
    stateDir: stateDirParameter('mysql'),
  },
  crossCheck: passwordSourceProblems,
  scripts: ({ timeoutSeconds, parameters }) => {
    const variables = {
      CBO_CLIENT: parameters.client ?? '',
      CBO_PASSWORD_FILE: parameters.passwordFile ?? '',
      CBO_PASSWORD_ENVS: parameters.passwordEnv ?? PASSWORD_ENVS.join(' '),
    };
    // --defaults-extra-file must be the client's first option.
    const argv = [
      ...(parameters.defaultsFile ? [`--defaults-extra-file=${parameters.defaultsFile}`] : []),
      ...(parameters.host ? [`--host=${parameters.host}`] : []),
      ...(parameters.port ? [`--port=${parameters.port}`] : []),
      ...(parameters.socket ? [`--socket=${parameters.socket}`] : []),
      `--user=${parameters.user ?? 'root'}`,
    ];
    return {
      pre: {
        variables,
        argv,
        body: COMMON + PRE_BODY,
        // probe, start the holder, wait for the lock, and on failure end the holder
        boundSeconds: CALL_SECONDS + DETACH_SECONDS + timeoutSeconds + 5 + CALL_SECONDS + STOP_SECONDS,
      },
      post: {
        variables,
        argv,
        body: COMMON + POST_BODY,
        // KILL, wait until the session is gone (one more call may start at the deadline), stop the client
        boundSeconds: CALL_SECONDS + 10 + CALL_SECONDS + STOP_SECONDS,
      },
      check: {
        variables: { ...variables, CBO_QUERY: parameters.query ?? 'SELECT 1' },
        argv,
        body: COMMON + CHECK_BODY,
        boundSeconds: CALL_SECONDS,
      },
    };
  },
};
