import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface LocalCertificate {
  key: string;
  cert: string;
  dir: string;
  certPath: string;
}

/**
 * A fresh certificate per run, written where NODE_EXTRA_CA_CERTS can point at it. An ECDSA P-256 key:
 * generating one takes about a millisecond, where an RSA-2048 key took 0.3–2 s (a random prime search),
 * and every emulator start makes one; TLS clients accept either.
 */
export async function createLocalCertificate(): Promise<LocalCertificate> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 2 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sspr-emulator-'));
  const certPath = path.join(dir, 'emulator-ca.pem');
  fs.writeFileSync(certPath, pems.cert);
  return { key: pems.private, cert: pems.cert, dir, certPath };
}
