import type { PresetDefinition } from './definition.ts';
import {
  CONNECT_TIMEOUT_SECONDS,
  checkToken,
  hostParameter,
  passwordEnvParameter,
  passwordFileParameter,
  passwordSourceProblems,
  portParameter,
  userParameter,
} from './parameters.ts';

const PASSWORD_ENVS = ['PGPASSWORD', 'POSTGRES_PASSWORD'];

// libpq reads PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD itself; the body only fills in what the
// parameters set and the official image's conventions (POSTGRES_USER, POSTGRES_PASSWORD).
const CONNECT = String.raw`
command -v psql >/dev/null 2>&1 || cbo_fail client "psql is not in the container's PATH"
[ -n "$CBO_HOST" ] && PGHOST=$CBO_HOST && export PGHOST
[ -n "$CBO_PORT" ] && PGPORT=$CBO_PORT && export PGPORT
PGUSER=$(cbo_first "$CBO_USER" "$PGUSER" "$POSTGRES_USER" postgres)
PGDATABASE=$(cbo_first "$CBO_DATABASE" "$PGDATABASE" postgres)
PGCONNECT_TIMEOUT=$CBO_CONNECT_TIMEOUT
export PGUSER PGDATABASE PGCONNECT_TIMEOUT
cbo_secret "$CBO_PASSWORD_FILE" $CBO_PASSWORD_ENVS
[ -n "$cbo_value" ] && PGPASSWORD=$cbo_value && export PGPASSWORD
`;

const PRE_BODY =
  CONNECT +
  String.raw`
cbo_out=$(cbo_bounded $((CBO_TIMEOUT + CBO_CONNECT_TIMEOUT + 5)) psql -X -q -A -t -v ON_ERROR_STOP=1 \
  -c "SET statement_timeout = $((CBO_TIMEOUT * 1000))" \
  -c 'CHECKPOINT' \
  -c 'SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END' 2>&1)
case $? in
  0) cbo_say "checkpoint preset=postgresql lsn=$cbo_out" ;;
  2) cbo_fail connect "cannot connect to the server: $cbo_out" ;;
  124) cbo_fail timeout "CHECKPOINT did not finish within $CBO_TIMEOUT seconds; raise timeout" ;;
  *) cbo_fail checkpoint "CHECKPOINT failed (it needs a superuser or the pg_checkpoint role): $cbo_out" ;;
esac
`;

// Restore check: the restored server accepts a connection and answers a query (the user's, else SELECT 1).
const CHECK_BODY =
  CONNECT +
  String.raw`
cbo_out=$(cbo_bounded $((CBO_TIMEOUT + CBO_CONNECT_TIMEOUT + 5)) psql -X -q -A -t -v ON_ERROR_STOP=1 \
  -c "SET statement_timeout = $((CBO_TIMEOUT * 1000))" -c "$CBO_QUERY" 2>&1)
case $? in
  0) cbo_say "check preset=postgresql ok answer=$(printf '%s' "$cbo_out" | head -n 1 | cut -c1-64)" ;;
  2) cbo_fail connect "cannot connect to the server: $cbo_out" ;;
  124) cbo_fail timeout "the query did not finish within $CBO_TIMEOUT seconds" ;;
  *) cbo_fail query "the query failed: $cbo_out" ;;
esac
`;

export const postgresqlPreset: PresetDefinition = {
  name: 'postgresql',
  description:
    'Runs CHECKPOINT before the snapshot. PostgreSQL is crash-safe when all of its volumes (data and WAL) ' +
    'are snapshotted atomically; the checkpoint bounds the WAL that recovery replays. It uses no backup mode ' +
    '(pg_backup_start ends with the session that called it, so a one-shot exec cannot hold it) and has no ' +
    'post hook. The user needs superuser or the pg_checkpoint role (PostgreSQL 15+).',
  timeout: { defaultSeconds: 60, description: 'How long CHECKPOINT may take.' },
  parameters: {
    host: hostParameter('$PGHOST, else the Unix socket'),
    port: portParameter('$PGPORT, else 5432'),
    user: userParameter('$PGUSER, else $POSTGRES_USER, else postgres'),
    database: {
      description: 'Database to connect to. Default: $PGDATABASE, else postgres.',
      check: checkToken,
    },
    passwordEnv: passwordEnvParameter(PASSWORD_ENVS),
    passwordFile: passwordFileParameter,
  },
  crossCheck: passwordSourceProblems,
  scripts: ({ timeoutSeconds, parameters }) => {
    const variables = {
      CBO_HOST: parameters.host ?? '',
      CBO_PORT: parameters.port ?? '',
      CBO_USER: parameters.user ?? '',
      CBO_DATABASE: parameters.database ?? '',
      CBO_PASSWORD_FILE: parameters.passwordFile ?? '',
      CBO_PASSWORD_ENVS: parameters.passwordEnv ?? PASSWORD_ENVS.join(' '),
    };
    const boundSeconds = timeoutSeconds + CONNECT_TIMEOUT_SECONDS + 5;
    return {
      pre: { variables, body: PRE_BODY, boundSeconds },
      check: {
        variables: { ...variables, CBO_QUERY: parameters.query ?? 'SELECT 1' },
        body: CHECK_BODY,
        boundSeconds,
      },
    };
  },
};
