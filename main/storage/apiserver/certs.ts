// A certificate authority made per run, and a serving certificate for the loopback names signed by
// it. The kubeconfig carries the CA, so kubectl and client-node verify TLS exactly as against a
// real kube-apiserver instead of being told to skip verification.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface ServingCerts {
  caPem: string;
  certPem: string;
  keyPem: string;
}

function keyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  // Node's native RSA generation takes milliseconds where forge's pure-JS one takes seconds.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
    publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
    pem: privateKey,
  };
}

const serial = () => '01' + randomBytes(8).toString('hex');

/** An unsigned certificate for `publicKey`, valid from a minute ago for a year, with a fresh serial. */
function newCertificate(publicKey: forge.pki.rsa.PublicKey, now: Date): forge.pki.Certificate {
  const c = forge.pki.createCertificate();
  c.publicKey = publicKey;
  c.serialNumber = serial();
  c.validity.notBefore = new Date(now.getTime() - 60_000);
  c.validity.notAfter = new Date(now.getTime() + 365 * 24 * 3600_000);
  return c;
}

export function generateServingCerts(hosts: string[] = ['127.0.0.1', 'localhost']): ServingCerts {
  const now = new Date();

  const ca = keyPair();
  const caCert = newCertificate(ca.publicKey, now);
  const caName = [{ name: 'commonName', value: `watchscope-ca-${Math.floor(now.getTime() / 1000)}` }];
  caCert.setSubject(caName);
  caCert.setIssuer(caName);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.privateKey, forge.md.sha256.create());

  const srv = keyPair();
  const cert = newCertificate(srv.publicKey, now);
  cert.setSubject([{ name: 'commonName', value: 'watchscope-apiserver' }]);
  cert.setIssuer(caName);
  const altNames = hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? { type: 7, ip: h } : { type: 2, value: h }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.privateKey, forge.md.sha256.create());

  return { caPem: forge.pki.certificateToPem(caCert), certPem: forge.pki.certificateToPem(cert), keyPem: srv.pem };
}
