import type { PresetDefinition } from './definition.ts';
import {
  CONNECT_TIMEOUT_SECONDS,
  checkToken,
  passwordEnvParameter,
  passwordFileParameter,
  passwordSourceProblems,
  stateDirParameter,
  userParameter,
} from './parameters.ts';
import { timedFreezeScripts } from './timed-freeze.ts';

const PASSWORD_ENVS = ['MONGO_INITDB_ROOT_PASSWORD'];
const DEFAULT_URI = 'mongodb://127.0.0.1:27017/admin';

// The password reaches mongosh through its environment (process.env), never its arguments. fsyncLock is
// not tied to the session that took it: it lasts until fsyncUnlock, hence the timer.
const BODY = String.raw`
command -v mongosh >/dev/null 2>&1 || cbo_fail client "mongosh is not in the container's PATH"
cbo_secret "$CBO_PASSWORD_FILE" $CBO_PASSWORD_ENVS
CBO_MONGO_PASSWORD=$cbo_value
CBO_MONGO_USER=$(cbo_first "$CBO_USER" "$MONGO_INITDB_ROOT_USERNAME")
export CBO_MONGO_PASSWORD CBO_MONGO_USER CBO_AUTH_DB
cbo_login='if (process.env.CBO_MONGO_USER) { db.getSiblingDB(process.env.CBO_AUTH_DB).auth(process.env.CBO_MONGO_USER, process.env.CBO_MONGO_PASSWORD); }'
cbo_freeze() {
  cbo_bounded "$CBO_TIMEOUT" mongosh "$CBO_URI" --quiet --eval "$cbo_login const r = db.fsyncLock(); print('lockCount=' + r.lockCount);"
}
set -- mongosh "$CBO_URI" --quiet --eval "$cbo_login const r = db.fsyncUnlock(); print('lockCount=' + r.lockCount);"
cbo_state_dir
`;

/** Adds a server selection timeout, so that an unreachable server fails within the connect timeout. */
function withSelectionTimeout(uri: string): string {
  if (/[?&]serverSelectionTimeoutMS=/i.test(uri)) return uri;
  const separator = uri.includes('?')
    ? '&'
    : uri.replace(/^mongodb(\+srv)?:\/\//, '').includes('/')
      ? '?'
      : '/?';
  return `${uri}${separator}serverSelectionTimeoutMS=${CONNECT_TIMEOUT_SECONDS * 1000}`;
}

export const mongodbPreset: PresetDefinition = {
  name: 'mongodb',
  description:
    'Runs db.fsyncLock() (flush to disk, block writes) before the snapshot and db.fsyncUnlock() after it. ' +
    'fsyncLock outlives the session that took it, so the pre hook also starts a detached timer that runs ' +
    'fsyncUnlock after timeout + freezeBudget when no post hook came first. Uses mongosh (MongoDB 6.0+ ' +
    'images); the user needs the fsync privilege (e.g. the clusterAdmin or hostManager role).',
  timeout: { defaultSeconds: 30, description: 'How long fsyncLock (and fsyncUnlock) may take.' },
  freezeBudget: {
    defaultSeconds: 60,
    description:
      'The timer unlocks timeout + freezeBudget after the pre hook started, when no post hook unlocked first; ' +
      'writes are blocked at most that long.',
  },
  parameters: {
    uri: {
      default: DEFAULT_URI,
      description:
        'Connection string, without credentials (the hook command is stored in the Velero Backup). ' +
        'serverSelectionTimeoutMS is added when missing.',
      check: (value) => {
        if (!/^mongodb(\+srv)?:\/\//.test(value)) return 'must start with mongodb:// or mongodb+srv://';
        if (/^mongodb(\+srv)?:\/\/[^/?]*@/.test(value)) {
          return 'must not contain credentials; use user with passwordEnv or passwordFile';
        }
        return checkToken(value);
      },
    },
    user: userParameter('$MONGO_INITDB_ROOT_USERNAME, else none (no authentication)'),
    authDatabase: {
      default: 'admin',
      description: 'Database the user authenticates against.',
      check: checkToken,
    },
    passwordEnv: passwordEnvParameter(PASSWORD_ENVS),
    passwordFile: passwordFileParameter,
    stateDir: stateDirParameter('mongodb'),
  },
  crossCheck: passwordSourceProblems,
  scripts: ({ timeoutSeconds, parameters }) =>
    timedFreezeScripts(
      {
        CBO_WHAT: 'fsyncLock',
        CBO_URI: withSelectionTimeout(parameters.uri ?? DEFAULT_URI),
        CBO_USER: parameters.user ?? '',
        CBO_AUTH_DB: parameters.authDatabase ?? 'admin',
        CBO_PASSWORD_FILE: parameters.passwordFile ?? '',
        CBO_PASSWORD_ENVS: parameters.passwordEnv ?? PASSWORD_ENVS.join(' '),
      },
      BODY,
      timeoutSeconds,
    ),
};
