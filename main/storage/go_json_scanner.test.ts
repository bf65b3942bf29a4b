import { describe, expect, it } from 'vitest';
import { goJSONSyntaxError, goQuoteChar } from './go_json_scanner.js';
import { decodeContinue } from './continue.js';

// Each pair: the token's bytes (hex) and the text kube-apiserver v1.36 answered for it (after
// "invalid continue token: continue key is not valid: "), asked on loopback.
const observed: [string, string][] = [
  ['817b', "invalid character '\\u0081' looking for beginning of value"],
  ['00', "invalid character '\\x00' looking for beginning of value"],
  ['7b2276223a226101227d', "invalid character '\\x01' in string literal"],
  ['a0', "invalid character '\\u00a0' looking for beginning of value"],
  ['ad', "invalid character '\\u00ad' looking for beginning of value"],
  ['ff', "invalid character 'ÿ' looking for beginning of value"],
  ['7f', "invalid character '\\x7f' looking for beginning of value"],
  ['27', "invalid character '\\'' looking for beginning of value"],
  ['22', 'unexpected end of JSON input'],
  ['5c', "invalid character '\\\\' looking for beginning of value"],
  ['09', 'unexpected end of JSON input'],
  ['0a', 'unexpected end of JSON input'],
  ['2d', "invalid character ' ' in numeric literal"],
  ['7b2276223a225c', "invalid character ' ' in string escape code"],
  ['7b2276223a225c753132', "invalid character ' ' in \\u hexadecimal character escape"],
  ['7b227276223a312e', "invalid character ' ' after decimal point in numeric literal"],
  ['7b227276223a31652b', "invalid character ' ' in exponent of numeric literal"],
  ['6e756c', "invalid character ' ' in literal null (expecting 'l')"],
  ['7b227622', 'unexpected end of JSON input'],
  ['7b', 'unexpected end of JSON input'],
  ['22616263', 'unexpected end of JSON input'],
  ['7b2261223a317d78', "invalid character 'x' after top-level value"],
  ['3031', "invalid character '1' after top-level value"],
  ['5b312c5d', "invalid character ']' looking for beginning of value"],
  ['7b2276223a2278222c227276223a312c227374617274223a2261227d20202c', "invalid character ',' after top-level value"],
  ['e282', "invalid character 'â' looking for beginning of value"],
];

describe("Go's JSON syntax errors, as kube-apiserver words a bad continue token", () => {
  it.each(observed)('%s → %s', (hex, want) => {
    const bytes = Buffer.from(hex, 'hex');
    expect(goJSONSyntaxError(bytes)).toBe(want);
    expect(() => decodeContinue(bytes.toString('base64url'))).toThrow(`continue key is not valid: ${want}`);
  });

  it('finds no error in valid JSON, whatever the bytes inside strings', () => {
    for (const ok of ['{"v":"meta.k8s.io/v1","rv":5,"start":"a\\u0000"}', '[1,-2.5e+3,true,false,null,{}]', ' "\u00e9" ', '0']) {
      expect(goJSONSyntaxError(Buffer.from(ok))).toBeUndefined();
    }
  });

  it("quotes a byte as strconv.Quote quotes it as a code point", () => {
    expect([0x00, 0x07, 0x0a, 0x1b, 0x22, 0x27, 0x41, 0x5c, 0x7f, 0x85, 0xa0, 0xa9, 0xad, 0xe9].map(goQuoteChar)).toEqual([
      "'\\x00'", "'\\a'", "'\\n'", "'\\x1b'", `'"'`, "'\\''", "'A'", "'\\\\'", "'\\x7f'", "'\\u0085'", "'\\u00a0'", "'©'", "'\\u00ad'", "'é'",
    ]);
  });
});
