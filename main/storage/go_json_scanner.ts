// The syntax check Go's encoding/json runs before it decodes (scanner.go: checkValid), so a bad
// continue token is refused with the very text kube-apiserver sends. Go scans bytes, not
// characters: an invalid byte is named as Go's quoteChar names it (strconv.Quote of the byte taken
// as a code point), e.g. 0x81 → '\u0081', 0x00 → '\x00'.

/** Go's quoteChar: the offending byte as it appears in "invalid character X ..." messages. */
export function goQuoteChar(b: number): string {
  if (b === 0x27) return `'\\''`;
  if (b === 0x22) return `'"'`;
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const escapes: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v', 0x5c: '\\\\' };
  if (escapes[b] !== undefined) return `'${escapes[b]}'`;
  if (b < 0x20 || b === 0x7f) return `'\\x${hex(b, 2)}'`;
  // Latin-1 code points strconv.IsPrint rejects: C1 controls, no-break space, soft hyphen.
  if ((b >= 0x80 && b <= 0xa0) || b === 0xad) return `'\\u${hex(b, 4)}'`;
  return `'${String.fromCharCode(b)}'`;
}

type Ctx = 'objectKey' | 'objectValue' | 'arrayValue';

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

class SyntaxError_ extends Error {}

/**
 * Returns Go's syntax error text for `data` (e.g. `invalid character 'x' looking for beginning
 * of value`, `unexpected end of JSON input`), or undefined when it is valid JSON.
 */
export function goJSONSyntaxError(data: Uint8Array): string | undefined {
  let i = 0;
  const stack: Ctx[] = [];
  const fail = (c: number, context: string): never => {
    throw new SyntaxError_(`invalid character ${goQuoteChar(c)} ${context}`);
  };
  const eof = (): never => {
    throw new SyntaxError_('unexpected end of JSON input');
  };
  // At the end of input Go's scanner steps once more with a space (scanner.eof): where a space
  // is not allowed (inside a literal, number or escape) the error names ' ' instead.
  const eofAsSpace = (context: string): never => fail(0x20, context);
  const peek = () => (i < data.length ? data[i]! : -1);
  const skipSpace = () => {
    while (i < data.length && isSpace(data[i]!)) i++;
  };

  const literal = (word: string) => {
    for (let k = 1; k < word.length; k++) {
      const c = peek();
      const context = `in literal ${word} (expecting '${word[k]}')`;
      if (c < 0) eofAsSpace(context);
      if (c !== word.charCodeAt(k)) fail(c, context);
      i++;
    }
  };
  const string = () => {
    // opening quote already consumed
    for (;;) {
      const c = peek();
      if (c < 0) eof();
      i++;
      if (c === 0x22) return;
      if (c === 0x5c) {
        const e = peek();
        if (e < 0) eofAsSpace('in string escape code');
        i++;
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            const h = peek();
            if (h < 0) eofAsSpace('in \\u hexadecimal character escape');
            if (!isHex(h)) fail(h, 'in \\u hexadecimal character escape');
            i++;
          }
        } else if (!'bfnrt\\/"'.includes(String.fromCharCode(e))) fail(e, 'in string escape code');
      } else if (c < 0x20) fail(c, 'in string literal');
    }
  };
  const number = () => {
    // first byte ('-' or digit) already consumed
    if (data[i - 1] === 0x2d) {
      const c = peek();
      if (c < 0) eofAsSpace('in numeric literal');
      if (!isDigit(c)) fail(c, 'in numeric literal');
      i++;
    }
    if (data[i - 1] !== 0x30) while (isDigit(peek())) i++;
    if (peek() === 0x2e) {
      i++;
      const c = peek();
      if (c < 0) eofAsSpace('after decimal point in numeric literal');
      if (!isDigit(c)) fail(c, 'after decimal point in numeric literal');
      while (isDigit(peek())) i++;
    }
    if (peek() === 0x65 || peek() === 0x45) {
      i++;
      if (peek() === 0x2b || peek() === 0x2d) i++;
      const c = peek();
      if (c < 0) eofAsSpace('in exponent of numeric literal');
      if (!isDigit(c)) fail(c, 'in exponent of numeric literal');
      while (isDigit(peek())) i++;
    }
  };
  const value = (): void => {
    skipSpace();
    const c = peek();
    if (c < 0) eof();
    i++;
    switch (c) {
      case 0x7b: {
        stack.push('objectKey');
        skipSpace();
        if (peek() < 0) eof();
        if (peek() === 0x7d) {
          i++;
          stack.pop();
          return;
        }
        for (;;) {
          skipSpace();
          const k = peek();
          if (k < 0) eof();
          if (k !== 0x22) fail(k, 'looking for beginning of object key string');
          i++;
          string();
          skipSpace();
          const colon = peek();
          if (colon < 0) eof();
          if (colon !== 0x3a) fail(colon, 'after object key');
          i++;
          stack[stack.length - 1] = 'objectValue';
          value();
          skipSpace();
          const sep = peek();
          if (sep < 0) eof();
          i++;
          if (sep === 0x7d) {
            stack.pop();
            return;
          }
          if (sep !== 0x2c) fail(sep, 'after object key:value pair');
          stack[stack.length - 1] = 'objectKey';
        }
      }
      case 0x5b: {
        stack.push('arrayValue');
        skipSpace();
        if (peek() < 0) eof();
        if (peek() === 0x5d) {
          i++;
          stack.pop();
          return;
        }
        for (;;) {
          value();
          skipSpace();
          const sep = peek();
          if (sep < 0) eof();
          i++;
          if (sep === 0x5d) {
            stack.pop();
            return;
          }
          if (sep !== 0x2c) fail(sep, 'after array element');
        }
      }
      case 0x22:
        return string();
      case 0x74:
        return literal('true');
      case 0x66:
        return literal('false');
      case 0x6e:
        return literal('null');
      default:
        if (c === 0x2d || isDigit(c)) return number();
        fail(c, 'looking for beginning of value');
    }
  };

  try {
    value();
    skipSpace();
    if (i < data.length) fail(data[i]!, 'after top-level value');
    return undefined;
  } catch (e) {
    if (e instanceof SyntaxError_) return e.message;
    throw e;
  }
}
