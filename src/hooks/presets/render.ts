import type { HookPhase } from '../exec-hook.ts';
import type { PresetName, ScriptPart } from './definition.ts';
import { CONNECT_TIMEOUT_SECONDS } from './parameters.ts';
import { SHELL_LIBRARY } from './shell-library.ts';

/** Quotes a value for POSIX sh: nothing inside single quotes is special, and a ' is closed, escaped, reopened. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface RenderContext {
  preset: PresetName;
  phase: HookPhase | 'check';
  stateDir: string;
  timeoutSeconds: number;
  freezeBudgetSeconds: number;
}

/**
 * The whole `/bin/sh -c` script: settings, the connection arguments, the shared library, the preset's body.
 * Comment lines are left out: they are for readers of this source, and the script is stored in every Velero
 * Backup (and would feed words like "fsyncLock" to the hook lint).
 */
export function renderScript(context: RenderContext, part: ScriptPart): string {
  const settings: Record<string, string> = {
    CBO_PRESET: context.preset,
    CBO_PHASE: context.phase,
    CBO_STATE: context.stateDir,
    CBO_TIMEOUT: String(context.timeoutSeconds),
    CBO_BUDGET: String(context.freezeBudgetSeconds),
    CBO_CONNECT_TIMEOUT: String(CONNECT_TIMEOUT_SECONDS),
    ...part.variables,
  };
  const lines = [
    `# consistent-backup-operator: ${context.preset} preset, ${context.phase} hook (generated; see "Presets" in the README)`,
    ...Object.entries(settings).map(([name, value]) => `${name}=${shellQuote(value)}`),
    ['set --', ...(part.argv ?? []).map(shellQuote)].join(' '),
  ];
  const code = `${SHELL_LIBRARY}\n${part.body}`
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  return `${[...lines, ...code].join('\n')}\n`;
}
