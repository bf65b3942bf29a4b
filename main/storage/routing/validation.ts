// Request validation with kube-apiserver's exact answers, in the two places upstream does it:
//  - the handler (apimachinery pkg/apis/meta/internalversion/validation ValidateListOptions,
//    wrapped by endpoints/handlers/get.go in NewInvalid(meta.k8s.io ListOptions, "", errs))
//    ⇒ 422 Invalid;
//  - storage (storage.ValidateListOptions, which both etcd3 and the cache delegator run)
//    ⇒ 400 BadRequest for continue tokens and unparsable resource versions.
import { StatusError, newBadRequest, newInvalid } from '../errors.js';
import { ContinueTokenError, decodeContinue, type DecodedContinue } from '../continue.js';
import type { ListOptions } from './options.js';
import { goQuote } from './options.js';

interface FieldError {
  field: string;
  /** upstream field.Error.ErrorBody(): "Forbidden: ..." / "Unsupported value: ..." */
  message: string;
  type: 'FieldValueForbidden' | 'FieldValueNotSupported';
}

const forbidden = (field: string, detail: string): FieldError => ({
  field,
  message: `Forbidden: ${detail}`,
  type: 'FieldValueForbidden',
});

const notSupported = (field: string, value: string, supported: string[]): FieldError => ({
  field,
  message: `Unsupported value: ${goQuote(value)}: supported values: ${supported.map(goQuote).join(', ')}`,
  type: 'FieldValueNotSupported',
});

/**
 * The handler's ValidateListOptions; `watchListEnabled` is the WatchList gate. Returns the 422
 * the handler would send, or undefined. Call it after defaulting (defaults.ts), as upstream does.
 */
export function validateListOptions(opts: ListOptions, watchListEnabled: boolean): StatusError | undefined {
  const errs = opts.watch ? watchErrors(opts, watchListEnabled) : listErrors(opts);
  if (errs.length === 0) return undefined;
  return newInvalid('ListOptions', '', errs, 'meta.k8s.io');
}

function listErrors(opts: ListOptions): FieldError[] {
  const errs: FieldError[] = [];
  const match = opts.resourceVersionMatch;
  if (match !== '') {
    if (opts.resourceVersion === '') {
      errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    }
    if (opts.continue !== '') {
      errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
    if (match !== 'Exact' && match !== 'NotOlderThan') {
      errs.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    }
    if (match === 'Exact' && opts.resourceVersion === '0') {
      errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
  }
  if (opts.sendInitialEvents !== undefined) {
    errs.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  return errs;
}

function watchErrors(opts: ListOptions, watchListEnabled: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const match = opts.resourceVersionMatch;
  if (opts.sendInitialEvents !== undefined) {
    if (match !== 'NotOlderThan') {
      errs.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    }
    if (!watchListEnabled) {
      errs.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'));
    }
  }
  if (match !== '') {
    if (opts.sendInitialEvents === undefined) {
      errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    }
    if (match !== 'NotOlderThan') {
      errs.push(notSupported('resourceVersionMatch', match, ['NotOlderThan']));
    }
    if (opts.continue !== '') {
      errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
  }
  return errs;
}

export type ParsedResourceVersion = { ok: true; rv: number } | { ok: false; error: string };

/**
 * APIObjectVersioner.ParseResourceVersion: "" and "0" are 0, otherwise strconv.ParseUint. The
 * error text is the storage InvalidError's, e.g.
 * `resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax`.
 */
export function parseResourceVersion(rv: string): ParsedResourceVersion {
  if (rv === '' || rv === '0') return { ok: true, rv: 0 };
  let why: string | undefined;
  if (!/^\d+$/.test(rv)) why = 'invalid syntax';
  else if (BigInt(rv) > 18446744073709551615n) why = 'value out of range';
  if (why) {
    return {
      ok: false,
      error: `resourceVersion: Invalid value: ${goQuote(rv)}: strconv.ParseUint: parsing ${goQuote(rv)}: ${why}`,
    };
  }
  return { ok: true, rv: Number(rv) };
}

/**
 * What a storage.InvalidError becomes when it reaches the handler without a Status: a 500 with
 * no reason (ErrorToAPIStatus' fallback), as GET/WATCH with a bad resourceVersion answer.
 */
export function newUnknownServerError(message: string): StatusError {
  return new StatusError(500, '', message);
}

/** storage.ValidateListOptions' answer: the error it refuses with, or what it parsed. */
export type StorageValidation =
  | { error: StatusError; continueToken?: undefined; resourceVersion?: undefined }
  | {
      error?: undefined;
      /** The decoded continue token (recursive lists with `continue`). */
      continueToken?: DecodedContinue;
      /** Parsed resourceVersion (0 for ""/"0"). */
      resourceVersion: number;
    };

/**
 * storage.ValidateListOptions: a recursive list with a continue token must carry a decodable
 * token and no resourceVersion other than ""/"0"; otherwise the resourceVersion must parse.
 * Non-recursive lists ignore `continue` here, as upstream does.
 */
export function validateStorageListOptions(opts: ListOptions, recursive: boolean): StorageValidation {
  if (recursive && opts.continue !== '') {
    let token: DecodedContinue;
    try {
      token = decodeContinue(opts.continue);
    } catch (e) {
      const msg = e instanceof ContinueTokenError ? e.message : String(e);
      return { error: newBadRequest(`invalid continue token: ${msg}`) };
    }
    if (opts.resourceVersion !== '' && opts.resourceVersion !== '0') {
      return { error: newBadRequest('specifying resource version is not allowed when using continue') };
    }
    return { continueToken: token, resourceVersion: 0 };
  }
  const parsed = parseResourceVersion(opts.resourceVersion);
  if (!parsed.ok) return { error: newBadRequest(`invalid resource version: ${parsed.error}`) };
  return { resourceVersion: parsed.rv };
}
