import { describe, expect, it } from 'vitest';
import { DOC_LINKS, isDocLink } from './docs-links.js';

describe('DOC_LINKS / isDocLink', () => {
  it('lists https addresses already in the form a browser hands to the shell', () => {
    expect(DOC_LINKS.length).toBeGreaterThan(0);
    for (const l of DOC_LINKS) {
      const u = new URL(l.url);
      expect(u.protocol).toBe('https:');
      expect(u.href).toBe(l.url);
      expect(isDocLink(l.url)).toBe(true);
    }
  });

  it.each([
    'https://example.com/',
    'http://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions',
    'https://kubernetes.io/docs/reference/using-api/api-concepts/',
    'https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions?x',
    'https://kubernetes.io.evil.example/docs/reference/using-api/api-concepts/#resource-versions',
    'https://user@kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions',
    'file:///etc/passwd',
    'javascript:alert(1)',
    '',
  ])('refuses %j', (url) => {
    expect(isDocLink(url)).toBe(false);
  });
});
