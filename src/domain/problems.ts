/** Something wrong with a ConsistentBackup that its schema could not catch; reported in a condition, never thrown. */
export interface Problem {
  /** Path of the offending field, e.g. spec.hooks[0].selector. */
  readonly field: string;
  /** CamelCase condition reason. */
  readonly reason: string;
  readonly message: string;
}

export function describeProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}
