// The operator as a built process (`npm run build`, then `node dist/cli/main.js`), with what the benchmark
// reads from outside: RSS, metrics, readiness, and how long /healthz takes to answer.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort } from '../../src/local-cluster/ports.ts';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The node flags of the image's ENTRYPOINT: the benchmark runs the operator as the image does.
 * CBO_BENCH_NODE_FLAGS (space-separated) replaces them, to try other flags before changing the image.
 */
function imageNodeFlags(): string[] {
  const trial = process.env.CBO_BENCH_NODE_FLAGS;
  if (trial !== undefined) return trial.split(' ').filter(Boolean);
  const dockerfile = readFileSync(`${projectRoot}Dockerfile`, 'utf8');
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  const argv = entrypoint ? (JSON.parse(entrypoint) as string[]) : [];
  if (argv[0] !== 'node' || argv.at(-1) !== 'dist/cli/main.js')
    throw new Error('Dockerfile ENTRYPOINT is no longer ["node", ...flags, "dist/cli/main.js"]');
  return argv.slice(1, -1);
}

export class BuiltOperator {
  private child: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  private metricsPort = 0;
  private probePort = 0;
  startedAt = 0;

  constructor(
    private readonly kubeconfigPath: string,
    private readonly logPath: string,
    /** Where `heapSnapshot` writes; unset: no snapshots. */
    private readonly diagnosticDir?: string,
  ) {}

  async start(): Promise<void> {
    [this.metricsPort, this.probePort] = await Promise.all([freeLoopbackPort(), freeLoopbackPort()]);
    const log = createWriteStream(this.logPath, { flags: 'a' });
    this.startedAt = Date.now();
    this.child = spawn(
      process.execPath,
      [
        ...imageNodeFlags(),
        ...(this.diagnosticDir
          ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${this.diagnosticDir}`]
          : []),
        'dist/cli/main.js',
        `--kubeconfig=${this.kubeconfigPath}`,
        `--metrics-bind-address=127.0.0.1:${this.metricsPort}`,
        `--health-probe-bind-address=127.0.0.1:${this.probePort}`,
      ],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.pipe(log);
    this.child.stderr?.pipe(log);
    this.exited = once(this.child, 'exit');
    const kill = () => this.child?.kill('SIGKILL');
    process.once('exit', kill);
    this.child.once('exit', () => process.off('exit', kill));
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }

  /** Asks for a heap snapshot (written after a full GC) into the diagnostic dir. */
  heapSnapshot(): void {
    if (this.diagnosticDir) this.child?.kill('SIGUSR2');
  }

  /** Resident set size in MiB, from /proc. */
  async rssMiB(): Promise<number> {
    const status = await readFile(`/proc/${this.child?.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return kb / 1024;
  }

  /** One sample of a metric (summed over its label sets), from /metrics. */
  async metric(name: string, labelFilter = ''): Promise<number> {
    const { body } = await get(this.metricsPort, '/metrics', 5000);
    let sum = 0;
    for (const line of body.split('\n')) {
      if (!line.startsWith(name) || !line.includes(labelFilter)) continue;
      const [series = '', value] = line.split(' ');
      if (series === name || series.startsWith(`${name}{`)) sum += Number(value);
    }
    return sum;
  }

  /** Resolves with the time /readyz first answers 200. */
  async ready(): Promise<number> {
    for (;;) {
      try {
        if ((await get(this.probePort, '/readyz', 1000)).status === 200) return Date.now();
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Resolves once the controller has nothing queued or running, twice in a row 500 ms apart, after at
   * least `minMs` since the call.
   */
  async quiet(minMs = 2000): Promise<void> {
    const since = Date.now();
    let calm = 0;
    while (calm < 2 || Date.now() - since < minMs) {
      await new Promise((r) => setTimeout(r, 500));
      const busy =
        (await this.metric('workqueue_depth', 'consistentbackup')) +
        (await this.metric('controller_runtime_active_workers', 'consistentbackup'));
      calm = busy === 0 ? calm + 1 : 0;
    }
  }

  /** Polls /healthz every `everyMs` on fresh connections (as a kubelet does); `stop` returns the slowest answer. */
  healthzProbe(everyMs = 50): { stop: () => number } {
    let slowest = 0;
    let running = true;
    void (async () => {
      while (running) {
        const started = performance.now();
        try {
          await get(this.probePort, '/healthz', 5000);
          slowest = Math.max(slowest, performance.now() - started);
        } catch {
          // not listening (starting or stopped): not an answer
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
    return {
      stop: () => {
        running = false;
        return slowest;
      },
    };
  }
}

function get(port: number, path: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
  });
}
