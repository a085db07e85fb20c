export const PRESET_NAMES = ['postgresql', 'mysql', 'redis', 'mongodb', 'fsfreeze'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface ParameterSpec {
  /** For users: what it is, where its default comes from. */
  description: string;
  /** The default as users read it in the docs; absent when there is none or the script looks it up. */
  default?: string;
  required?: boolean;
  /** A problem text for a bad value, or undefined. */
  check(value: string): string | undefined;
}

/** A duration the preset accepts, in whole seconds. */
export interface DurationSpec {
  defaultSeconds: number;
  description: string;
}

/** What a preset's script builder receives: parameters are checked and complete with defaults. */
export interface PresetInput {
  timeoutSeconds: number;
  /** Present exactly when the preset has a freeze budget. */
  freezeBudgetSeconds: number;
  parameters: Readonly<Record<string, string>>;
}

/** One hook's script before the shared header and library are put around it. */
export interface ScriptPart {
  /** Shell variables the body reads, set (quoted) at the top of the script. */
  variables: Record<string, string>;
  /** Positional parameters ("$@") the body starts with, e.g. the client's connection options. */
  argv?: string[];
  body: string;
  /** The longest the script can run, from the bounds it applies itself; the Velero timeout exceeds it. */
  boundSeconds: number;
}

export interface PresetScripts {
  pre: ScriptPart;
  post?: ScriptPart;
  /** After a restore: the database accepts connections and answers (see ConsistentRestore checks). */
  check?: ScriptPart;
}

export interface PresetDefinition {
  name: PresetName;
  /** One paragraph for `kubectl explain` and the README. */
  description: string;
  timeout: DurationSpec;
  /** Absent for presets that hold nothing after their pre hook (a freezeBudget is then refused). */
  freezeBudget?: DurationSpec;
  parameters: Readonly<Record<string, ParameterSpec>>;
  /** Problems that involve more than one parameter. */
  crossCheck?(parameters: Readonly<Record<string, string>>): string[];
  scripts(input: PresetInput): PresetScripts;
}
