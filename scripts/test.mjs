#!/usr/bin/env node
// `npm test`: type checks, lint (the rooms rule among them), the production build, the Node test
// suite (vitest, real etcd) and the browser suite (Playwright in Debian Chromium), then one closing
// line with the totals across all of them. Skipped tests are counted and listed, never folded into "passed".
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync, existsSync, rmSync } from 'node:fs';

const results = { passed: 0, failed: 0, skipped: 0 };
const skippedNames = [];
const failedSteps = [];
mkdirSync('test-results', { recursive: true });

function run(name, cmd, args, env = {}) {
  console.log(`\n── ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) failedSteps.push(name);
  return r.status === 0;
}

function countVitest(file) {
  if (!existsSync(file)) return false;
  const j = JSON.parse(readFileSync(file, 'utf8'));
  for (const f of j.testResults ?? []) {
    for (const a of f.assertionResults ?? []) {
      if (a.status === 'passed') results.passed++;
      else if (a.status === 'failed') results.failed++;
      else {
        results.skipped++;
        skippedNames.push(a.fullName ?? a.title);
      }
    }
    // a file that failed to load has no assertions but is a failure
    if ((f.assertionResults ?? []).length === 0 && f.status === 'failed') results.failed++;
  }
  return true;
}

function countPlaywright(file) {
  if (!existsSync(file)) return false;
  const j = JSON.parse(readFileSync(file, 'utf8'));
  const walk = (suite) => {
    for (const s of suite.suites ?? []) walk(s);
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        const status = t.status; // expected | unexpected | flaky | skipped
        if (status === 'skipped') {
          results.skipped++;
          const why = (t.annotations ?? []).map((a) => a.description).filter(Boolean).join('; ');
          skippedNames.push(`${spec.title}${why ? ` — ${why}` : ''}`);
        } else if (status === 'unexpected') results.failed++;
        else results.passed++;
      }
    }
  };
  for (const s of j.suites ?? []) walk(s);
  return true;
}

const only = process.argv[2]; // optional: unit | e2e
if (!only) {
  run('typecheck', 'npm', ['run', '--silent', 'typecheck']);
  run('lint', 'npm', ['run', '--silent', 'lint']);
  run('build', 'npm', ['run', '--silent', 'build']);
}
if (!only || only === 'unit') {
  rmSync('test-results/vitest.json', { force: true });
  run('unit+integration', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json']);
  if (!countVitest('test-results/vitest.json')) failedSteps.push('vitest produced no report');
}
if (!only || only === 'e2e') {
  rmSync('test-results/playwright.json', { force: true });
  run('browser', 'npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: 'test-results/playwright.json' });
  if (!countPlaywright('test-results/playwright.json')) failedSteps.push('playwright produced no report');
}

console.log('');
if (skippedNames.length) {
  console.log(`SKIPPED (${skippedNames.length}), not counted as passed:`);
  for (const n of skippedNames) console.log(`  - ${n}`);
}
if (failedSteps.length) console.log(`FAILED steps: ${failedSteps.join(', ')}`);
console.log(`${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
process.exit(failedSteps.length || results.failed ? 1 : 0);
