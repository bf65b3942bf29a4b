// Test harness: two loopback TCP pieces that put real apiservers in the shape of an HA cluster.
// A round-robin balancer, as a TCP (layer 4) load balancer in front of several apiservers is: each
// new connection goes to the next backend and TLS passes through. And a proxy between one
// apiserver and etcd that can hold back what etcd sends, so that apiserver's watch — and so its
// watch cache — stops hearing about writes while the others go on (its reads of etcd stall too).
import net from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface Balancer {
  port: number;
  /** The backend index each accepted connection was sent to, in order. */
  routed: number[];
  close(): Promise<void>;
}

function pipeBoth(a: net.Socket, b: net.Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end);
  b.on('error', end);
  a.on('close', end);
  b.on('close', end);
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((r) => server.close(() => r()));
}

export async function startBalancer(backends: { host: string; port: number }[]): Promise<Balancer> {
  const routed: number[] = [];
  const sockets = new Set<net.Socket>();
  let next = 0;
  const server = net.createServer((client) => {
    const i = next++ % backends.length;
    routed.push(i);
    const upstream = net.connect(backends[i]!.port, backends[i]!.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    pipeBoth(client, upstream);
  });
  const port = await listen(server);
  return { port, routed, close: () => closeServer(server, sockets) };
}

export interface HoldableProxy {
  /** http://127.0.0.1:<port>, to give the apiserver as its etcd. */
  url: string;
  /** From now on, nothing etcd sends reaches the apiserver (it waits in the sockets). */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startHoldableProxy(target: { host: string; port: number }): Promise<HoldableProxy> {
  const sockets = new Set<net.Socket>();
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let holding = false;
  // Holding unpipes etcd → apiserver and pauses the etcd side, so what etcd sends waits in the
  // socket buffers (and then in etcd, by TCP flow control) until release pipes it on, in order.
  const hold = (p: { client: net.Socket; upstream: net.Socket }) => {
    p.upstream.unpipe(p.client);
    p.upstream.pause();
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => {
        sockets.delete(s);
        pairs.delete(pair);
      });
    }
    pipeBoth(client, upstream);
    if (holding) hold(pair);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    hold() {
      holding = true;
      for (const p of pairs) hold(p);
    },
    release() {
      holding = false;
      for (const p of pairs) p.upstream.pipe(p.client);
    },
    close: () => closeServer(server, sockets),
  };
}

/** The SHA-256 fingerprint of the certificate a TLS server at `url` serves. */
export function servingCertificate(url: string, ca: string | Buffer): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: u.hostname, port: Number(u.port), ca, servername: 'localhost' }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.on('error', reject);
  });
}
