import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWholeSeconds } from '../../src/hooks/duration.ts';
import type { ExecHook } from '../../src/hooks/exec-hook.ts';
import { parseHookMarkers, type HookMarker } from '../../src/hooks/markers.ts';
import { onProcessExit } from '../../src/local-cluster/child-process.ts';

/**
 * The shells preset scripts must work in: dash (Debian and Ubuntu images' /bin/sh) and busybox ash with
 * busybox's own tools first in PATH (Alpine images), the database clients still coming from the system.
 */
export type ShellKind = 'dash' | 'busybox';
export const SHELLS: readonly ShellKind[] = ['dash', 'busybox'];

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

let busyboxDir: string | undefined;
function busyboxPath(): string {
  if (!busyboxDir) {
    const busybox = execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim();
    const dir = mkdtempSync(join(tmpdir(), 'cbo-busybox-'));
    onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
    for (const applet of execFileSync(busybox, ['--list'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)) {
      symlinkSync(busybox, join(dir, applet));
    }
    busyboxDir = dir;
  }
  return `${busyboxDir}:${SYSTEM_PATH}`;
}

export interface HookRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The exec did not end (process exited and output closed) within the hook's timeout. */
  timedOut: boolean;
  markers: HookMarker[];
}

/**
 * Runs an exec hook the way Velero does: the command array as given (its /bin/sh swapped for the shell under
 * test), with only the environment the container would have, done when the process has exited and its
 * stdout/stderr are closed, or when the hook's timeout passes.
 */
export function runExecHook(
  hook: ExecHook,
  options: { shell: ShellKind; env?: Record<string, string> },
): Promise<HookRun> {
  const [program, ...args] = hook.command;
  if (program !== '/bin/sh') throw new Error(`expected a /bin/sh hook, got ${program}`);
  const [binary, prefix, path] =
    options.shell === 'dash' ? ['/bin/dash', [], SYSTEM_PATH] : ['busybox', ['sh'], busyboxPath()];
  const timeout = parseWholeSeconds(hook.timeout);
  if (typeof timeout !== 'number') throw new Error(timeout.problem);
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...prefix, ...args], {
      env: { PATH: path, HOME: '/root', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout * 1000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, markers: parseHookMarkers(stdout) });
    });
  });
}

/** Pids of live processes whose arguments pass `test`: what a hook left running. */
export function processesWhere(test: (args: string[]) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const zombie = /\) Z /.test(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (!zombie && test(args)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Processes with an argument that contains `text`, e.g. a state directory. */
export function processesMentioning(text: string): number[] {
  return processesWhere((args) => args.some((arg) => arg.includes(text)));
}

/** Kills the given processes, so that a failing test leaves nothing behind. */
export function killProcesses(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
