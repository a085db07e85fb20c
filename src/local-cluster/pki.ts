import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths of a PEM certificate and its private key. */
export interface CertPair {
  cert: string;
  key: string;
}

export interface CertRequest {
  /** File stem inside the PKI directory. */
  name: string;
  commonName: string;
  /** Subject organizations: Kubernetes reads them as the client's groups. */
  organizations?: string[];
  /** Subject alternative names, e.g. `IP:127.0.0.1`, `DNS:localhost`. */
  altNames?: string[];
  usage: 'server' | 'client';
}

/**
 * A throw-away certificate authority for a local control plane. It shells out to openssl because Node's
 * crypto can make keys but not X.509 certificates.
 */
export class LocalPki {
  private constructor(
    private readonly dir: string,
    readonly ca: CertPair,
  ) {}

  static async create(dir: string): Promise<LocalPki> {
    const ca = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
    await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', ca.key]);
    await run('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      ca.key,
      '-out',
      ca.cert,
      '-days',
      '30',
      '-subj',
      '/CN=consistent-backup-operator-local-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return new LocalPki(dir, ca);
  }

  async issue(req: CertRequest): Promise<CertPair> {
    const pair = { cert: join(this.dir, `${req.name}.crt`), key: join(this.dir, `${req.name}.key`) };
    const csr = join(this.dir, `${req.name}.csr`);
    const ext = join(this.dir, `${req.name}.ext`);
    const subject = [
      '',
      ...(req.organizations ?? []).map((o) => `O=${escapeRdn(o)}`),
      `CN=${escapeRdn(req.commonName)}`,
    ].join('/');
    const extensions = [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${req.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    ];
    if (req.altNames?.length) extensions.push(`subjectAltName=${req.altNames.join(',')}`);
    await writeFile(ext, extensions.join('\n') + '\n');
    await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', pair.key]);
    await run('openssl', ['req', '-new', '-key', pair.key, '-out', csr, '-subj', subject]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      this.ca.cert,
      '-CAkey',
      this.ca.key,
      // A random serial, not -CAcreateserial: certificates are issued concurrently, and a shared serial file
      // read and written by two openssl processes at once gets corrupted.
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-out',
      pair.cert,
      '-days',
      '30',
      '-extfile',
      ext,
    ]);
    return pair;
  }

  /** An RSA key pair for signing and verifying service-account tokens. */
  async serviceAccountKeys(): Promise<{ privateKey: string; publicKey: string }> {
    const privateKey = join(this.dir, 'sa.key');
    const publicKey = join(this.dir, 'sa.pub');
    await run('openssl', ['genrsa', '-out', privateKey, '2048']);
    await run('openssl', ['rsa', '-in', privateKey, '-pubout', '-out', publicKey]);
    return { privateKey, publicKey };
  }
}

function escapeRdn(value: string): string {
  return value.replace(/[/\\=+]/g, (c) => `\\${c}`);
}
