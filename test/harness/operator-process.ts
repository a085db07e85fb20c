import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort } from '../../src/local-cluster/ports.ts';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface OperatorProcessOptions {
  kubeconfigPath: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * The operator as production runs it: its own process, started by the same entry point as `npm start`,
 * with its JSON log lines collected for assertions.
 */
export class OperatorProcess {
  readonly logs: Record<string, unknown>[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  metricsPort = 0;
  probePort = 0;

  constructor(private readonly opts: OperatorProcessOptions) {}

  async start(): Promise<this> {
    [this.metricsPort, this.probePort] = await Promise.all([freeLoopbackPort(), freeLoopbackPort()]);
    this.child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        `--kubeconfig=${this.opts.kubeconfigPath}`,
        `--metrics-bind-address=127.0.0.1:${this.metricsPort}`,
        `--health-probe-bind-address=127.0.0.1:${this.probePort}`,
        '--log-level=debug',
        ...(this.opts.args ?? []),
      ],
      { cwd: projectRoot, env: { ...process.env, ...this.opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.exited = once(this.child, 'exit');
    let buffered = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) this.record(line);
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.record(chunk));
    const kill = () => this.child?.kill('SIGKILL');
    process.once('exit', kill);
    this.child.once('exit', () => process.off('exit', kill));
    return this;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the exit code (or signal) once the process has ended. */
  async waitForExit(): Promise<unknown> {
    return this.exited;
  }

  /** SIGTERM, the way Kubernetes stops a pod; SIGKILL for a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.child?.kill(signal);
    await this.exited;
  }

  async get(
    path: string,
    port = path === '/metrics' ? this.metricsPort : this.probePort,
  ): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  }

  private record(line: string): void {
    if (!line.trim()) return;
    try {
      this.logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      this.logs.push({ raw: line });
    }
    if (process.env.CBO_TEST_OPERATOR_LOGS) process.stderr.write(`[operator] ${line}\n`);
  }
}
