import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecHook } from '../../src/hooks/exec-hook.ts';
import { expandPreset, type PresetRef } from '../../src/hooks/presets/expand.ts';
import { onProcessExit } from '../../src/local-cluster/child-process.ts';

/** Expands a preset that must be valid, failing the test with its problems otherwise. */
export function expandValid(preset: PresetRef): { pre: ExecHook; post: ExecHook | undefined } {
  const expansion = expandPreset(preset);
  if ('problems' in expansion) throw new Error(`preset ${preset.name}: ${expansion.problems.join('; ')}`);
  const [pre] = expansion.pre;
  if (!pre) throw new Error(`preset ${preset.name} has no pre hook`);
  return { pre, post: expansion.post[0] };
}

/** A fresh directory to serve as a hook's stateDir (the container's /tmp in real life). */
export function stateDirectory(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cbo-state-${label}-`));
  onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
