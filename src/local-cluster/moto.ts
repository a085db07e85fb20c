import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ManagedProcess } from './child-process.ts';
import { freeLoopbackPort } from './ports.ts';
import { waitFor } from './wait.ts';

/** Where the S3 stand-in serves a bucket, and the (arbitrary) keys Velero signs with. */
export interface S3Endpoint {
  endpoint: string;
  bucket: string;
  region: string;
  accessKey: string;
  secretKey: string;
}

/**
 * moto's S3 server on 127.0.0.1 with one bucket: the object store Velero's AWS plugin writes to. moto accepts
 * any key, so the keys only have to match what the plugin is given.
 */
export class MotoS3 {
  private constructor(
    readonly s3: S3Endpoint,
    private readonly process: ManagedProcess,
  ) {}

  static async start(
    motoServer: string,
    dir: string,
    onUnexpectedExit: (name: string, how: string) => void,
  ): Promise<MotoS3> {
    const port = await freeLoopbackPort();
    const home = join(dir, 'home');
    await mkdir(home, { recursive: true });
    const process = new ManagedProcess(
      'moto',
      motoServer,
      ['-H', '127.0.0.1', '-p', String(port)],
      join(dir, 'moto.log'),
      {
        env: { PATH: globalThis.process.env.PATH, HOME: home, TMPDIR: home },
        processGroup: true,
        onUnexpectedExit: (how) => onUnexpectedExit('moto', how),
      },
    );
    const s3: S3Endpoint = {
      endpoint: `http://127.0.0.1:${port}`,
      bucket: 'velero',
      region: 'us-east-1',
      accessKey: 'cbo-local',
      secretKey: 'cbo-local-secret',
    };
    const moto = new MotoS3(s3, process);
    process.start();
    try {
      await waitFor(async () => (await fetch(`${s3.endpoint}/moto-api/`)).ok, {
        what: `moto at ${s3.endpoint}`,
        timeoutMs: 60_000,
        intervalMs: 200,
        failFast: () => process.exitReport,
      });
      const created = await fetch(`${s3.endpoint}/${s3.bucket}`, { method: 'PUT' });
      if (!created.ok) throw new Error(`creating bucket ${s3.bucket}: HTTP ${created.status}`);
    } catch (err) {
      await moto.stop();
      throw err;
    }
    return moto;
  }

  /** Every object key in the bucket under `prefix` (ListObjectsV2, all pages). */
  async listObjects(prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const query = new URLSearchParams({ 'list-type': '2', prefix });
      if (token) query.set('continuation-token', token);
      const res = await fetch(`${this.s3.endpoint}/${this.s3.bucket}?${query.toString()}`);
      const xml = await res.text();
      if (!res.ok) throw new Error(`listing ${this.s3.bucket}: HTTP ${res.status}: ${xml.slice(0, 300)}`);
      for (const [, key] of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(unescapeXml(key!));
      token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
        ? unescapeXml(/<NextContinuationToken>([^<]*)</.exec(xml)?.[1] ?? '')
        : undefined;
    } while (token);
    return keys;
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) => xmlEntities[name]!);
}

const xmlEntities: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };
