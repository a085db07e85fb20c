import type { ParameterSpec } from './definition.ts';

/** Seconds a client may take to connect; unreachable servers fail within it rather than hang. */
export const CONNECT_TIMEOUT_SECONDS = 10;

const HOST = /^[A-Za-z0-9]([A-Za-z0-9.:_-]*[A-Za-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Printable without spaces: user names and URIs are passed as single quoted arguments, never through eval.
const TOKEN = /^[\x21-\x7e]{1,256}$/;

export function checkHost(value: string): string | undefined {
  return HOST.test(value) && value.length <= 253 ? undefined : 'must be a host name or an IP address';
}

export function checkPort(value: string): string | undefined {
  const port = Number(value);
  return /^\d+$/.test(value) && port >= 1 && port <= 65535 ? undefined : 'must be a port number (1-65535)';
}

export function checkAbsolutePath(value: string): string | undefined {
  if (!value.startsWith('/')) return 'must be an absolute path in the container';
  if (/[\0\n\r]/.test(value)) return 'must not contain line breaks';
  if (value.split('/').includes('..')) return 'must not contain ".."';
  return undefined;
}

export function checkEnvName(value: string): string | undefined {
  return ENV_NAME.test(value) ? undefined : 'must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)';
}

export function checkToken(value: string): string | undefined {
  return TOKEN.test(value) ? undefined : 'must be 1-256 printable characters without spaces';
}

export const hostParameter = (fallback: string): ParameterSpec => ({
  description: `Host name or IP address of the server. Default: ${fallback}.`,
  check: checkHost,
});

export const portParameter = (fallback: string): ParameterSpec => ({
  description: `TCP port of the server. Default: ${fallback}.`,
  check: checkPort,
});

export const socketParameter = (fallback: string): ParameterSpec => ({
  description: `Unix socket of the server, a path in the container. Default: ${fallback}.`,
  check: checkAbsolutePath,
});

export const userParameter = (fallback: string): ParameterSpec => ({
  description: `User to connect as. Default: ${fallback}.`,
  check: checkToken,
});

/** The environment variables the script tries, in order, when neither passwordEnv nor passwordFile is set. */
export const passwordEnvParameter = (fallbacks: readonly string[]): ParameterSpec => ({
  description:
    'Name of an environment variable of the container that holds the password (the hook command carries ' +
    `only the name). Default: the first one set of ${fallbacks.join(', ')}.`,
  check: checkEnvName,
});

export const passwordFileParameter: ParameterSpec = {
  description:
    'Path of a file in the container (e.g. a mounted Secret) whose content is the password. Not together ' +
    'with passwordEnv.',
  check: checkAbsolutePath,
};

export const stateDirParameter = (preset: string): ParameterSpec => ({
  default: `/tmp/consistent-backup/${preset}`,
  description:
    'Directory in the container for what the pre hook leaves to the post hook (pids, holder output). It must ' +
    'be writable (with readOnlyRootFilesystem, mount an emptyDir) and should not be on a volume being ' +
    'backed up.',
  check: checkAbsolutePath,
});

export function passwordSourceProblems(parameters: Readonly<Record<string, string>>): string[] {
  return parameters.passwordEnv !== undefined && parameters.passwordFile !== undefined
    ? ['set either passwordEnv or passwordFile, not both']
    : [];
}
