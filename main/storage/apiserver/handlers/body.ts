// Request bodies: read with a cap (kube-apiserver limits write bodies to 3 MiB) and decoded as
// JSON with the 400 kube answers for a body it cannot decode.
import type { IncomingMessage } from 'node:http';
import { StatusError, newBadRequest } from '../../errors.js';
import { PROTOBUF_CONTENT_TYPE, decodeProtobufBody } from './protobuf-body.js';

export const maxRequestBodyBytes = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > maxRequestBodyBytes) throw new StatusError(413, '', 'Request entity too large: limit is 3145728');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** JSON bodies: objects, and the patch formats (their handler has checked which it accepts). */
const JSON_TYPES = new Set(['application/json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json']);

export async function readJSON(req: IncomingMessage): Promise<unknown> {
  const ct = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  const body = await readBody(req);
  if (ct === PROTOBUF_CONTENT_TYPE) return decodeProtobufBody(body);
  if (!JSON_TYPES.has(ct) && ct !== 'application/yaml') {
    throw new StatusError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  }
  if (ct === 'application/yaml') {
    throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json`);
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw newBadRequest(`the object provided is unrecognized (must be of type JSON): ${e instanceof Error ? e.message : String(e)}`);
  }
}
