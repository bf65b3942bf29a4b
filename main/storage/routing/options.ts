// The request's list/watch options as the handler decodes them from the query string
// (metainternalversion.ListOptions via the apimachinery query-parameter conversions), kept as
// upstream sees them: "" vs "0" resourceVersion matters, and an absent sendInitialEvents (nil)
// differs from sendInitialEvents=false.

export interface ListOptions {
  resourceVersion: string;
  resourceVersionMatch: string;
  limit: number;
  continue: string;
  labelSelector: string;
  fieldSelector: string;
  /** undefined = not sent (upstream nil). */
  sendInitialEvents: boolean | undefined;
  allowWatchBookmarks: boolean;
  watch: boolean;
  timeoutSeconds: number | undefined;
}

export interface ParsedListOptions {
  options: ListOptions;
  /** A query value the conversion could not decode (the handler answers 400 with this text). */
  decodeError?: string;
}

/**
 * Upstream's Convert_Slice_string_To_bool: "0" and "false" (any case) are false, anything else
 * (even an empty value) is true.
 */
export function parseQueryBool(v: string): boolean {
  return !(v === '0' || v.toLowerCase() === 'false');
}

/** A boolean query parameter that defaults to false when absent (watch, allowWatchBookmarks). */
export function queryFlag(v: string | undefined): boolean {
  return v !== undefined && parseQueryBool(v);
}

/** strconv.ParseInt(v, 10, 64) with Go's error text. */
export function parseQueryInt(v: string): { value: number } | { error: string } {
  if (!/^[+-]?\d+$/.test(v)) return { error: `strconv.ParseInt: parsing ${goQuote(v)}: invalid syntax` };
  const big = BigInt(v);
  if (big > 9223372036854775807n || big < -9223372036854775808n) {
    return { error: `strconv.ParseInt: parsing ${goQuote(v)}: value out of range` };
  }
  return { value: Number(big) };
}

export function parseListOptions(query: Record<string, string>, verbIsWatch: boolean): ParsedListOptions {
  let decodeError: string | undefined;
  const int = (key: string): number | undefined => {
    const raw = query[key];
    if (raw === undefined || raw === '') return undefined;
    const r = parseQueryInt(raw);
    if ('error' in r) {
      decodeError ??= r.error;
      return undefined;
    }
    return r.value;
  };
  const has = (key: string) => Object.prototype.hasOwnProperty.call(query, key);
  const options: ListOptions = {
    resourceVersion: query.resourceVersion ?? '',
    resourceVersionMatch: query.resourceVersionMatch ?? '',
    limit: int('limit') ?? 0,
    continue: query.continue ?? '',
    labelSelector: query.labelSelector ?? '',
    fieldSelector: query.fieldSelector ?? '',
    sendInitialEvents: has('sendInitialEvents') ? parseQueryBool(query.sendInitialEvents!) : undefined,
    allowWatchBookmarks: queryFlag(query.allowWatchBookmarks),
    watch: verbIsWatch || queryFlag(query.watch),
    timeoutSeconds: int('timeoutSeconds'),
  };
  return decodeError === undefined ? { options } : { options, decodeError };
}

/** Go's %q for the plain strings we quote (ASCII-printable fast path). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
