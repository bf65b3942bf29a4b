#!/usr/bin/env node
// The command-line entry: everything lives in the built CLI (out/main/cli.js).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../out/main/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('watchscope is not built yet: run `npm run build` first.');
  process.exit(1);
}
await import(cli.href);
