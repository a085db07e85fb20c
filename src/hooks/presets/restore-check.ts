import { formatSeconds, parseWholeSeconds } from '../duration.ts';
import { PRESETS } from './catalog.ts';
import type { PresetDefinition } from './definition.ts';
import { checkParameters, VELERO_TIMEOUT_MARGIN_SECONDS } from './expand.ts';
import { renderScript } from './render.ts';

/** Parameters only a restore check reads, besides the connection settings of the backup preset. */
const CHECK_PARAMETERS: Record<string, Record<string, (value: string) => string | undefined>> = {
  postgresql: { query: nonEmpty },
  mysql: { query: nonEmpty },
  redis: { minKeys: (v) => (/^[0-9]{1,9}$/.test(v) ? undefined : 'must be a whole number') },
};
const DEFAULT_TIMEOUT_SECONDS = 30;
const MAX_TIMEOUT_SECONDS = 600;

export interface CheckPresetRef {
  name: string;
  timeout?: string;
  parameters?: Record<string, string>;
}

/** One Velero restore exec hook (container and waits are the caller's). */
export interface CheckCommand {
  command: string[];
  execTimeout: string;
}

/**
 * A restore check preset as one `/bin/sh -c` command with a Velero timeout past its own bounds, or every
 * problem with it. Never throws: the input comes from a user's resource.
 */
export function expandRestoreCheck(preset: CheckPresetRef): CheckCommand | { problems: string[] } {
  const extra = Object.hasOwn(CHECK_PARAMETERS, preset.name) ? CHECK_PARAMETERS[preset.name] : undefined;
  const definition = (PRESETS as Partial<Record<string, PresetDefinition>>)[preset.name];
  if (!extra || !definition) {
    return {
      problems: [
        `preset "${preset.name}" has no restore check (known: ${Object.keys(CHECK_PARAMETERS).join(', ')})`,
      ],
    };
  }
  const problems: string[] = [];
  const connection: Record<string, string> = {};
  const own: Record<string, string> = {};
  for (const [name, value] of Object.entries(preset.parameters ?? {})) {
    const check = Object.hasOwn(extra, name) ? extra[name] : undefined;
    if (!check) connection[name] = value;
    else if (typeof value !== 'string' || check(value)) {
      problems.push(`parameter ${name}: ${check(String(value))}, got ${JSON.stringify(value)}`);
    } else own[name] = value;
  }
  const parameters = checkParameters(definition, connection, problems);
  let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  if (preset.timeout !== undefined) {
    const parsed = parseWholeSeconds(preset.timeout);
    if (typeof parsed !== 'number') problems.push(`timeout: ${parsed.problem}`);
    else if (parsed < 1 || parsed > MAX_TIMEOUT_SECONDS) {
      problems.push(`timeout: must be between 1s and ${MAX_TIMEOUT_SECONDS / 60}m, got "${preset.timeout}"`);
    } else timeoutSeconds = parsed;
  }
  const part = definition.scripts({
    timeoutSeconds,
    freezeBudgetSeconds: 0,
    parameters: { ...parameters, ...own },
  }).check;
  if (!part) problems.push(`preset "${preset.name}" has no restore check`);
  if (problems.length > 0 || !part) return { problems };
  const context = {
    preset: definition.name,
    phase: 'check' as const,
    stateDir: '',
    timeoutSeconds,
    freezeBudgetSeconds: 0,
  };
  return {
    command: ['/bin/sh', '-c', renderScript(context, part)],
    execTimeout: formatSeconds(part.boundSeconds + VELERO_TIMEOUT_MARGIN_SECONDS),
  };
}

function nonEmpty(value: string): string | undefined {
  return value.trim() === '' ? 'must not be empty' : undefined;
}
