/**
 * Certificates for trying TLS out and for tests, made with the openssl command: a CA, and for each
 * node a key and a certificate that names its addresses (subjectAltName) and serves both as a
 * server and as a client certificate (mutual TLS between peers). These are the same commands
 * docs/hosts.md shows; nothing made here is meant to be kept or committed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

const validDays = '30';

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl ${args[0]} failed: ${stderr || (err as Error).message}`, { cause: err });
  }
}

/** A self-signed CA (EC P-256) in `<dir>/<name>.crt` and `.key`. */
export function makeCa(dir: string, name = 'ca', subject = 'raft-kv CA'): CertFiles {
  fs.mkdirSync(dir, { recursive: true });
  const files = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', validDays,
    '-subj', `/CN=${subject}`, '-keyout', files.key, '-out', files.cert,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return files;
}

/**
 * A key and a certificate for `name`, signed by `ca`, valid for each of `hosts` (IP addresses and
 * DNS names), for TLS servers and clients alike.
 */
export function makeCert(dir: string, ca: CertFiles, name: string, hosts: readonly string[]): CertFiles {
  const files = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  const san = hosts.map((h) => (net.isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  fs.writeFileSync(ext, [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth,clientAuth',
    ...(san ? [`subjectAltName=${san}`] : []),
  ].join('\n') + '\n');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', files.key, '-out', csr]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', validDays, '-extfile', ext, '-out', files.cert]);
  fs.rmSync(csr);
  fs.rmSync(ext);
  return files;
}

/** The environment that turns TLS on for a node: mutual TLS on the Raft port, TLS on the KV port, one certificate for both. */
export function tlsEnv(ca: CertFiles, node: CertFiles): Record<string, string> {
  return { RAFT_TLS_CERT: node.cert, RAFT_TLS_KEY: node.key, RAFT_TLS_CA: ca.cert, KV_TLS_CERT: node.cert, KV_TLS_KEY: node.key };
}
