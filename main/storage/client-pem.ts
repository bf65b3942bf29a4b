// Says what is wrong with a client certificate and key in words a person can act on. OpenSSL's own
// answer to, say, a certificate where the key belongs is "error:1E08010C:DECODER
// routines::unsupported". Both the kubeconfig's client-certificate/client-key and etcd's
// --etcd-cert/--etcd-key go through here before a connection is tried. The messages name the
// field or file, never its contents (a key is a credential).
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';

/** One half of the pair: where it came from (for the message) and its bytes. */
export interface PemInput {
  /** e.g. `client-key-data` or `client-key file "/path/key.pem"`. */
  where: string;
  data: Buffer;
}

/** The label of the first PEM block (CERTIFICATE, PRIVATE KEY, RSA PRIVATE KEY, …), if any. */
function firstPemLabel(data: Buffer): string | undefined {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(data.toString('latin1'))?.[1];
}

const isKeyLabel = (label: string | undefined) => !!label && /PRIVATE KEY$/.test(label);

function holds(label: string | undefined): string {
  if (label === undefined) return 'no PEM block';
  if (label === 'CERTIFICATE') return 'a certificate';
  if (label === 'CERTIFICATE REQUEST' || label === 'NEW CERTIFICATE REQUEST') return 'a certificate signing request';
  if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY') return 'a public key';
  if (isKeyLabel(label)) return 'a private key';
  return `a "${label}" PEM block`;
}

/**
 * The problem with this certificate/key pair in one sentence, or undefined when the key parses,
 * the certificate parses and the key belongs to the certificate.
 */
export function clientPairProblem(cert: PemInput, key: PemInput): string | undefined {
  const certLabel = firstPemLabel(cert.data);
  const keyLabel = firstPemLabel(key.data);
  if (certLabel !== 'CERTIFICATE' && keyLabel === 'CERTIFICATE' && isKeyLabel(certLabel)) {
    return `the client certificate and key are swapped: ${cert.where} holds a private key and ${key.where} a certificate`;
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: key.data });
  } catch (e) {
    // PKCS#8 labels it; the traditional OpenSSL form says so in a header.
    const encrypted = keyLabel === 'ENCRYPTED PRIVATE KEY' || /^Proc-Type: 4,ENCRYPTED/m.test(key.data.toString('latin1'));
    if (encrypted || (e as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE') {
      return `${key.where} is an encrypted private key: Kubernetes clients need it unencrypted (openssl pkey -in KEY -out PLAIN)`;
    }
    if (!isKeyLabel(keyLabel)) return `${key.where} holds ${holds(keyLabel)}, not a private key (-----BEGIN … PRIVATE KEY-----)`;
    return `${key.where} holds a private key PEM block that does not parse (truncated or damaged?)`;
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert.data);
  } catch {
    if (certLabel !== 'CERTIFICATE') return `${cert.where} holds ${holds(certLabel)}, not a certificate (-----BEGIN CERTIFICATE-----)`;
    return `${cert.where} holds a certificate PEM block that does not parse (truncated or damaged?)`;
  }
  if (!x509.checkPrivateKey(keyObject)) return `${key.where} is not the private key of the certificate in ${cert.where}`;
  return undefined;
}
