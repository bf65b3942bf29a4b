import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateServingCerts } from './apiserver/certs.js';
import { clientPairProblem } from './client-pem.js';

const a = generateServingCerts();
const b = generateServingCerts();
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
const encrypted = generateKeyPairSync('ec', {
  namedCurve: 'prime256v1',
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' },
}).privateKey;
const rsaEncrypted = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' },
}).privateKey;
const csr = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n';

const cert = (pem: string) => ({ where: 'client-certificate-data', data: Buffer.from(pem) });
const key = (pem: string) => ({ where: 'client-key file "k.pem"', data: Buffer.from(pem) });

describe('clientPairProblem', () => {
  it('accepts a certificate with its own key (PKCS#8)', () => {
    expect(clientPairProblem(cert(a.certPem), key(a.keyPem))).toBeUndefined();
  });

  it.each([
    ['a certificate as the key', a.certPem, a.certPem, 'client-key file "k.pem" holds a certificate, not a private key (-----BEGIN … PRIVATE KEY-----)'],
    ['cert and key swapped', a.keyPem, a.certPem, 'the client certificate and key are swapped: client-certificate-data holds a private key and client-key file "k.pem" a certificate'],
    ['a public key as the key', a.certPem, rsa.publicKey, 'client-key file "k.pem" holds a public key, not a private key (-----BEGIN … PRIVATE KEY-----)'],
    ['a CSR as the key', a.certPem, csr, 'client-key file "k.pem" holds a certificate signing request, not a private key (-----BEGIN … PRIVATE KEY-----)'],
    ['no PEM at all as the key', a.certPem, 'not a key', 'client-key file "k.pem" holds no PEM block, not a private key (-----BEGIN … PRIVATE KEY-----)'],
    ['a damaged key', a.certPem, a.keyPem.slice(0, 200) + '\n-----END PRIVATE KEY-----\n', 'client-key file "k.pem" holds a private key PEM block that does not parse (truncated or damaged?)'],
    ['an encrypted key', a.certPem, encrypted, 'client-key file "k.pem" is an encrypted private key: Kubernetes clients need it unencrypted (openssl pkey -in KEY -out PLAIN)'],
    ['an encrypted key (traditional PEM)', a.certPem, rsaEncrypted, 'client-key file "k.pem" is an encrypted private key: Kubernetes clients need it unencrypted (openssl pkey -in KEY -out PLAIN)'],
    ['a key as the certificate', rsa.privateKey, a.keyPem, 'client-certificate-data holds a private key, not a certificate (-----BEGIN CERTIFICATE-----)'],
    ['a damaged certificate', a.certPem.slice(0, 120) + '\n-----END CERTIFICATE-----\n', a.keyPem, 'client-certificate-data holds a certificate PEM block that does not parse (truncated or damaged?)'],
    ['another certificate\'s key (PKCS#1)', a.certPem, rsa.privateKey, 'client-key file "k.pem" is not the private key of the certificate in client-certificate-data'],
    ['another certificate\'s key (PKCS#8)', b.certPem, a.keyPem, 'client-key file "k.pem" is not the private key of the certificate in client-certificate-data'],
  ])('%s → says what is wrong, never the contents', (_name, c, k, message) => {
    const problem = clientPairProblem(cert(c), key(k));
    expect(problem).toBe(message);
    expect(problem).not.toMatch(/DECODER|error:/);
    for (const body of [c, k]) {
      const line = body.split('\n')[1] ?? '';
      if (line.length >= 16) expect(problem).not.toContain(line.slice(0, 16));
    }
  });
});
