import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ManagedProcessOptions {
  /** The whole environment of the process (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /**
   * Run it in a process group of its own and signal the whole group: for servers that start helpers of their
   * own (Velero's plugins, the commands kwok runs for exec) that must not outlive them.
   */
  processGroup?: boolean;
  /** Called when the process ends without `stop()` having been called: a crash, not a shutdown. */
  onUnexpectedExit?: (how: string) => void;
}

const LOG_TAIL_LINES = 20;

/** A long-running binary whose output goes to a log file, stopped with SIGTERM then SIGKILL. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(
    readonly name: string,
    private readonly binary: string,
    private readonly args: string[],
    readonly logFile: string,
    private readonly options: ManagedProcessOptions = {},
  ) {}

  start(): void {
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.binary, this.args, {
        stdio: ['ignore', fd, fd],
        env: this.options.env ?? process.env,
        detached: this.options.processGroup ?? false,
      });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.stopping = false;
    this.exited = once(child, 'exit');
    const kill = (signal: NodeJS.Signals) => this.signal(child, signal);
    liveChildren.add(kill);
    child.once('exit', (code, signal) => {
      liveChildren.delete(kill);
      if (!this.stopping)
        this.options.onUnexpectedExit?.(signal ? `killed by ${signal}` : `exit code ${code}`);
    });
  }

  /**
   * Undefined while running; once exited, how, with the end of its log (the log goes with the temp dir, so a
   * start failure must carry it).
   */
  get exitReport(): string | undefined {
    if (this.running) return undefined;
    let tail = '';
    try {
      tail = readFileSync(this.logFile, 'utf8').split('\n').slice(-LOG_TAIL_LINES).join('\n');
    } catch {
      // no log yet
    }
    return `${this.name} exited; the end of its log:\n${tail}`;
  }

  /** True while the process has not exited. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    this.stopping = true;
    if (!child || !this.running) return;
    this.signal(child, 'SIGTERM');
    const timer = setTimeout(() => this.signal(child, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    // Helpers that ignored SIGTERM go with their leader; wait (briefly) until the kernel has them gone.
    if (this.options.processGroup && child.pid !== undefined) {
      this.signal(child, 'SIGKILL');
      for (let i = 0; i < 100 && groupExists(child.pid); i++) await sleep(50);
    }
  }

  private signal(child: ChildProcess, signal: NodeJS.Signals): void {
    if (!this.options.processGroup || child.pid === undefined) {
      child.kill(signal);
      return;
    }
    try {
      process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  }
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

// Children must not outlive this process, whatever way it ends: a stray etcd or kube-apiserver would
// hold ports and disk for the next run.
const liveChildren = new Set<(signal: NodeJS.Signals) => void>();
const exitHooks = new Set<() => void>();
process.once('exit', () => {
  for (const kill of liveChildren) kill('SIGKILL');
  for (const hook of exitHooks) hook();
});

/** Runs `hook` (synchronously) when the process exits without having called the returned remover. */
export function onProcessExit(hook: () => void): () => void {
  exitHooks.add(hook);
  return () => exitHooks.delete(hook);
}
