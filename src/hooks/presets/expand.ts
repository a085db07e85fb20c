import { formatSeconds, parseWholeSeconds } from '../duration.ts';
import type { ExecHook } from '../exec-hook.ts';
import { PRESETS } from './catalog.ts';
import type { DurationSpec, PresetDefinition, PresetInput, ScriptPart } from './definition.ts';
import { PRESET_NAMES } from './definition.ts';
import { renderScript } from './render.ts';

/** `hooks[].preset` of a ConsistentBackup. */
export interface PresetRef {
  name: string;
  freezeBudget?: string;
  timeout?: string;
  parameters?: Record<string, string>;
}

export type PresetExpansion = { pre: ExecHook[]; post: ExecHook[] } | { problems: string[] };

const MAX_SECONDS = 3600;
/** How much longer Velero waits than a script's own bounds allow, so the script reports its own failure. */
export const VELERO_TIMEOUT_MARGIN_SECONDS = 10;

/**
 * Expands a preset into Velero exec hooks, or lists every problem with it. Never throws: the input comes
 * from a user's resource. Pre hooks fail the pod's backup (onError Fail): without the freeze it would not be
 * consistent. Post hooks use Continue, so a failing one does not keep Velero from running the pod's other
 * post hooks (it is still logged, and the backup ends PartiallyFailed).
 */
export function expandPreset(preset: PresetRef): PresetExpansion {
  const definition = (PRESETS as Partial<Record<string, PresetDefinition>>)[preset.name];
  if (!definition || !Object.hasOwn(PRESETS, preset.name)) {
    return { problems: [`unknown preset "${preset.name}" (known: ${PRESET_NAMES.join(', ')})`] };
  }
  const problems: string[] = [];
  const timeoutSeconds = seconds('timeout', preset.timeout, definition.timeout, problems);
  let freezeBudgetSeconds = 0;
  if (definition.freezeBudget) {
    freezeBudgetSeconds = seconds('freezeBudget', preset.freezeBudget, definition.freezeBudget, problems);
  } else if (preset.freezeBudget !== undefined) {
    problems.push(
      `freezeBudget does not apply to preset ${definition.name}: it holds nothing after its pre hook`,
    );
  }
  const parameters = checkParameters(definition, preset.parameters ?? {}, problems);
  if (problems.length > 0) return { problems };

  const input: PresetInput = { timeoutSeconds, freezeBudgetSeconds, parameters };
  const scripts = definition.scripts(input);
  const context = {
    preset: definition.name,
    stateDir: parameters.stateDir ?? '',
    timeoutSeconds,
    freezeBudgetSeconds,
  };
  const hook = (phase: 'pre' | 'post', part: ScriptPart): ExecHook => ({
    command: ['/bin/sh', '-c', renderScript({ ...context, phase }, part)],
    timeout: formatSeconds(part.boundSeconds + VELERO_TIMEOUT_MARGIN_SECONDS),
    onError: phase === 'pre' ? 'Fail' : 'Continue',
  });
  return { pre: [hook('pre', scripts.pre)], post: scripts.post ? [hook('post', scripts.post)] : [] };
}

function seconds(field: string, text: string | undefined, spec: DurationSpec, problems: string[]): number {
  if (text === undefined) return spec.defaultSeconds;
  const parsed = parseWholeSeconds(text);
  if (typeof parsed !== 'number') {
    problems.push(`${field}: ${parsed.problem}`);
  } else if (parsed < 1 || parsed > MAX_SECONDS) {
    problems.push(`${field}: must be between 1s and ${MAX_SECONDS / 60}m, got "${text}"`);
  }
  return typeof parsed === 'number' ? parsed : spec.defaultSeconds;
}

/** The parameters with defaults filled in; problems for unknown, missing and bad ones. */
export function checkParameters(
  definition: PresetDefinition,
  given: Record<string, unknown>,
  problems: string[],
): Record<string, string> {
  const known = Object.keys(definition.parameters);
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    const spec = Object.hasOwn(definition.parameters, name) ? definition.parameters[name] : undefined;
    if (!spec) {
      problems.push(`unknown parameter "${name}" for preset ${definition.name} (known: ${known.join(', ')})`);
    } else if (typeof value !== 'string') {
      problems.push(`parameter ${name}: must be a string`);
    } else {
      const problem = spec.check(value);
      if (problem) problems.push(`parameter ${name}: ${problem}, got ${JSON.stringify(value)}`);
      else result[name] = value;
    }
  }
  for (const [name, spec] of Object.entries(definition.parameters)) {
    if (result[name] !== undefined || given[name] !== undefined) continue;
    if (spec.required) problems.push(`parameter ${name} is required for preset ${definition.name}`);
    else if (spec.default !== undefined) result[name] = spec.default;
  }
  if (problems.length === 0) problems.push(...(definition.crossCheck?.(result) ?? []));
  return result;
}
