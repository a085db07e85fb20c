import type { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The API server's verdict: `Success`, or `Failure` with the reason (e.g. a non-zero exit). */
  status: V1Status;
}

/** Runs `command` in a container through the API server's `pods/exec`, as Velero's exec hooks do. */
export async function execInPod(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  command: string[],
): Promise<ExecResult> {
  const out = collector();
  const err = collector();
  let resolveStatus!: (status: V1Status) => void;
  const status = new Promise<V1Status>((resolve) => (resolveStatus = resolve));
  // client-node's socket type comes from isomorphic-ws, whose types are not installed: it is an EventEmitter.
  const socket = (await new Exec(kc)
    .exec(namespace, pod, container, command, out.stream, err.stream, null, false, resolveStatus)
    .catch((cause: unknown) => {
      // The WebSocket library rejects with an ErrorEvent, not an Error: keep its message.
      const message = cause instanceof Error ? cause.message : (cause as { message?: unknown }).message;
      throw new Error(`exec in pod ${namespace}/${pod}: ${String(message ?? cause)}`, { cause });
    })) as unknown as EventEmitter;
  // A socket closed without a status (the API server could not reach the node) is a failure too.
  socket.on('close', () =>
    resolveStatus({ status: 'Failure', message: 'exec stream closed without a status' }),
  );
  const result = await status;
  return { stdout: out.text(), stderr: err.text(), status: result };
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }),
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}
