// etcd serving TLS with client-certificate auth, and what connect() says when the pieces are wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEtcd, type EtcdProcess } from './process.js';
import { EtcdSource } from './source.js';

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, plus an unrelated CA. */
function makePki(dir: string) {
  const ca = (name: string) => {
    openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
  };
  const leaf = (name: string, cn: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  };
  ca('ca');
  ca('other-ca');
  leaf('server', 'etcd', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  leaf('client', 'watchscope', 'extendedKeyUsage=clientAuth\n');
  const p = (f: string) => join(dir, f);
  return {
    ca: p('ca.crt'), otherCa: p('other-ca.crt'),
    serverCert: p('server.crt'), serverKey: p('server.key'),
    clientCert: p('client.crt'), clientKey: p('client.key'),
  };
}

describe('EtcdSource over TLS with client certificates', () => {
  let dir: string;
  let pki: ReturnType<typeof makePki>;
  let etcd: EtcdProcess;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'watchscope-pki-'));
    pki = makePki(dir);
    etcd = await startEtcd({
      tls: { certFile: pki.serverCert, keyFile: pki.serverKey, trustedCaFile: pki.ca, clientCertAuth: true },
    });
    port = etcd.clientPort;
  });
  afterAll(async () => {
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the right CA and client certificate, and works', async () => {
    expect(etcd.endpoint).toBe(`https://127.0.0.1:${port}`);
    const src = await EtcdSource.connect({ endpoints: [etcd.endpoint], caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey });
    try {
      expect(src.info().version).toMatch(/^3\./);
      const rev = await src.client.put('/registry/pods/default/tls', '{"metadata":{"name":"tls"}}');
      const list = await src.list('/registry/pods/');
      expect(list.resourceVersion).toBe(rev);
      expect(list.items.map((i) => i.object.metadata.name)).toEqual(['tls']);
      const got: number[] = [];
      const w = src.watch('/registry/pods/', 0, { onEvents: (e) => got.push(...e.map((x) => x.resourceVersion)), onProgress: () => {}, onEnd: () => {} });
      const deadline = Date.now() + 5000;
      while (!got.includes(rev) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      w.stop();
      expect(got).toContain(rev);
    } finally {
      await src.close();
    }
  });

  it('says the server certificate is not trusted when given the wrong CA', async () => {
    await expect(
      EtcdSource.connect({ endpoints: [etcd.endpoint], caFile: pki.otherCa, certFile: pki.clientCert, keyFile: pki.clientKey, dialTimeoutMs: 3000 }),
    ).rejects.toThrow(`etcd at ${etcd.endpoint} presented a certificate not trusted by the CA in "${pki.otherCa}"`);
  });

  it('says a client certificate is required when none is given', async () => {
    await expect(EtcdSource.connect({ endpoints: [etcd.endpoint], caFile: pki.ca, dialTimeoutMs: 3000 })).rejects.toThrow(
      `etcd at ${etcd.endpoint} requires a client certificate (--client-cert-auth): pass certFile and keyFile`,
    );
  });

  it('says to use https when an http URL points at a TLS server', async () => {
    const t0 = Date.now();
    const err = await EtcdSource.connect({ endpoints: [`http://127.0.0.1:${port}`], dialTimeoutMs: 3000 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/use an https:\/\/ URL/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('says to use http when an https URL points at a plain server', async () => {
    const plain = await startEtcd();
    try {
      const url = plain.endpoint.replace('http://', 'https://');
      await expect(EtcdSource.connect({ endpoints: [url], caFile: pki.ca, dialTimeoutMs: 3000 })).rejects.toThrow(
        `cannot talk TLS to etcd at ${url}: the server answered in plain text — use an http:// URL`,
      );
    } finally {
      await plain.stop();
    }
  });
});
