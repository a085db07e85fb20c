import type { HookPhase } from './exec-hook.ts';

export type HookLintCode =
  'BackupModeCall' | 'ReadLockWithoutHeldSession' | 'FreezeWithoutSelfRelease' | 'FreezeWithoutTimeBound';

export interface HookLintWarning {
  code: HookLintCode;
  message: string;
}

// Velero runs each hook as one exec and may skip post hooks (restart, timeout, failed pre hook), so a
// command that takes a lock must keep it past its own exit (a detached holder) and give it up by itself.
const PATTERNS = {
  backupMode: /\bpg_(?:start_backup|backup_start)\b/i,
  readLock: /\bflush\s+tables?\b[^;]*?\bwith\s+read\s+lock\b/i,
  fsfreeze: /\bfsfreeze\s+(?:-\S+\s+)*?(?:-f|--freeze)\b/,
  thaw: /\bfsfreeze\s+(?:-\S+\s+)*?(?:-u|--unfreeze)\b/,
  fsyncLock: /\bfsyncLock\b|\bfsync\s*:\s*1\s*,\s*lock\s*:\s*(?:true|1)\b/,
  fsyncUnlock: /\bfsyncUnlock\b|\bunlockFsync\b/,
  // A background job: a lone & (not &&, >&, &> or 2>&1), or a tool that detaches.
  detached: /\bsetsid\b|\bnohup\b|\bdisown\b|\bstart-stop-daemon\b|(?<![&<>])&(?![&>])/,
  timeBound: /\bsleep\b|(?:^|[\s;&|(`])timeout\s|\bmax_execution_time\b|\bmax_statement_time\b/i,
};

const PRESET_HINT = 'use the preset for this database, which does it for you';

/**
 * Warns about hook commands that cannot work as a one-shot exec. Heuristic and never a rejection: a
 * command that hides its SQL in a file is not seen, and one that mentions a pattern in a comment is.
 */
export function lintHookCommand(phase: HookPhase, command: readonly string[]): HookLintWarning[] {
  const text = command.join(' ');
  const has = (pattern: keyof typeof PATTERNS) => PATTERNS[pattern].test(text);
  const where = `this ${phase} hook`;
  const warnings: HookLintWarning[] = [];
  const timeBound = () => {
    if (!has('timeBound')) {
      warnings.push({
        code: 'FreezeWithoutTimeBound',
        message: `${where} freezes writes without a time bound (sleep or timeout): if the release never comes, writes stay blocked`,
      });
    }
  };

  if (has('backupMode')) {
    warnings.push({
      code: 'BackupModeCall',
      message: `${where} calls pg_start_backup/pg_backup_start: backup mode ends with the session that started it, so a one-shot exec cannot hold it (and PostgreSQL 15 removed pg_start_backup); ${PRESET_HINT} (postgresql: CHECKPOINT)`,
    });
  }
  if (has('readLock')) {
    if (!has('detached')) {
      warnings.push({
        code: 'ReadLockWithoutHeldSession',
        message: `${where} runs FLUSH TABLES WITH READ LOCK in a session that ends with the exec, which releases the lock before the snapshot; hold it in a detached session (${PRESET_HINT}: mysql)`,
      });
    } else timeBound();
  }
  const freezes = [
    {
      lock: has('fsfreeze'),
      release: has('thaw'),
      what: 'fsfreeze -f',
      undo: 'fsfreeze -u',
      preset: 'fsfreeze',
    },
    {
      lock: has('fsyncLock'),
      release: has('fsyncUnlock'),
      what: 'fsyncLock',
      undo: 'fsyncUnlock',
      preset: 'mongodb',
    },
  ];
  for (const freeze of freezes.filter((f) => f.lock)) {
    if (!(freeze.release && has('detached'))) {
      warnings.push({
        code: 'FreezeWithoutSelfRelease',
        message: `${where} runs ${freeze.what} without a detached timer that runs ${freeze.undo} by itself; Velero skips post hooks after a restart, a timeout or a failed pre hook, and the freeze would stay (${PRESET_HINT}: ${freeze.preset})`,
      });
    } else timeBound();
  }
  return warnings;
}
