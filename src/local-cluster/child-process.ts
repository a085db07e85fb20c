import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { once } from 'node:events';

/** A long-running binary whose output goes to a log file, stopped with SIGTERM then SIGKILL. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly binary: string,
    private readonly args: string[],
    private readonly logFile: string,
  ) {}

  start(): void {
    const fd = openSync(this.logFile, 'a');
    try {
      this.child = spawn(this.binary, this.args, { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.exited = once(this.child, 'exit');
    liveChildren.add(this.child);
    this.child.once('exit', () => liveChildren.delete(this.child!));
  }

  /** True while the process has not exited. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

// Children must not outlive this process, whatever way it ends: a stray etcd or kube-apiserver would
// hold ports and disk for the next run.
const liveChildren = new Set<ChildProcess>();
const exitHooks = new Set<() => void>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
  for (const hook of exitHooks) hook();
});

/** Runs `hook` (synchronously) when the process exits without having called the returned remover. */
export function onProcessExit(hook: () => void): () => void {
  exitHooks.add(hook);
  return () => exitHooks.delete(hook);
}
