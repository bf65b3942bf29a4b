// The "Rooms and what they may touch" table of docs/architecture.md, as an ESLint rule. Each file
// belongs to the first room whose folder holds it; an import of project code is allowed only into
// the rooms that room lists, and some rooms may not use some packages at all. Folders that are not
// rooms of the app (e2e/, bench/, lint/, scripts/, root config files) are harnesses and may import
// anything. A new folder under main/ is a new room: it fails lint until the table names it.
import path from 'node:path';
import { isBuiltin } from 'node:module';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Rooms of the app. `imports`: rooms it may import; `typesFrom`: rooms it may import types from only. */
export const ROOMS = [
  { room: 'shared', imports: ['shared'], runtime: 'neither' },
  { room: 'renderer', imports: ['renderer', 'shared'], runtime: 'browser' },
  { room: 'main/util', imports: ['main/util'], noPackages: ['electron'] },
  { room: 'main/testing', imports: ['main/testing'], noPackages: ['electron'] },
  { room: 'main/storage', imports: ['main/storage', 'main/util', 'shared'], noPackages: ['electron'] },
  { room: 'main/telemetry', imports: ['main/telemetry', 'main/storage', 'main/util', 'shared'], noPackages: ['electron'] },
  {
    room: 'main/workload',
    imports: ['main/workload', 'main/util', 'shared'],
    typesFrom: ['main/storage'],
    noPackages: ['electron'],
  },
  {
    room: 'main/cluster',
    imports: ['main/cluster', 'main/storage', 'main/telemetry', 'main/util', 'shared'],
    noPackages: ['electron'],
  },
  {
    room: 'main/recording',
    imports: ['main/recording', 'main/storage', 'main/telemetry', 'main/util', 'shared'],
    noPackages: ['electron'],
  },
  // The files directly in main/: the Electron shell, web mode, the session, the CLI.
  { room: 'main', imports: ['main', 'main/*', 'shared'], noPackages: ['electron'] },
];

/** The only files that may import `electron`: everything else runs and is tested without it. */
export const ELECTRON_FILES = ['main/index.ts', 'main/preload.ts'];

/**
 * Tests beside the code may also use the browser suite's fake service, and a test under main/ may
 * wire its room into the rest of main (a session, the workload's transport) to exercise it whole.
 */
function testMayImport(from, to) {
  return to === 'e2e' || (from.startsWith('main') && (to === 'main' || to.startsWith('main/')));
}

/** The room (or harness folder) of a repo-relative path; undefined outside the project's folders. */
export function roomOf(rel) {
  const parts = rel.split('/');
  if (parts[0] === 'main') return parts.length === 2 ? 'main' : `main/${parts[1]}`;
  return parts.length > 1 ? parts[0] : undefined;
}

function allowed(list, target) {
  return list.includes(target) || (target.startsWith('main/') && list.includes('main/*'));
}

function isTypeOnly(node) {
  if (node.type === 'TSImportType') return true;
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  const specs = node.specifiers ?? [];
  return specs.length > 0 && specs.every((s) => s.importKind === 'type' || s.exportKind === 'type');
}

function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export const roomsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the rooms table of docs/architecture.md' },
    schema: [],
    messages: {
      crossing: '{{from}} may not import {{to}} ({{spec}}): see "Rooms and what they may touch" in docs/architecture.md',
      typesOnly: '{{from}} may import only types from {{to}} ({{spec}}): use `import type`',
      package: '{{from}} may not import {{spec}}: see "Rooms and what they may touch" in docs/architecture.md',
      noRoom: '{{room}}/ is not a room in docs/architecture.md: add it to the table there and in lint/rooms.js',
    },
  },
  create(context) {
    const file = path.relative(ROOT, context.filename).split(path.sep).join('/');
    const from = roomOf(file);
    const rule = ROOMS.find((r) => r.room === from);
    const isTest = /\.test\.ts$/.test(file);
    if (!rule) {
      if (from?.startsWith('main/')) {
        return {
          Program(node) {
            context.report({ node, messageId: 'noRoom', data: { room: from } });
          },
        };
      }
      return {};
    }
    function check(node, source) {
      if (!source || typeof source.value !== 'string') return;
      const spec = source.value;
      if (spec.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        const to = roomOf(target) ?? target;
        if (allowed(rule.imports, to) || (isTest && testMayImport(from, to))) return;
        if (rule.typesFrom?.includes(to)) {
          if (isTypeOnly(node) || isTest) return;
          context.report({ node, messageId: 'typesOnly', data: { from, to, spec } });
          return;
        }
        context.report({ node, messageId: 'crossing', data: { from, to, spec } });
        return;
      }
      const pkg = packageName(spec);
      const electron = pkg === 'electron' && !ELECTRON_FILES.includes(file);
      const forbidden = rule.noPackages?.includes(pkg) && (pkg !== 'electron' || electron);
      const nodeOnly = rule.runtime && isBuiltin(spec) && !isTest;
      if (forbidden || nodeOnly) context.report({ node, messageId: 'package', data: { from, spec } });
    }
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      TSImportType: (node) => check(node, node.argument?.literal ?? node.source ?? node.argument),
    };
  },
};

export default { rules: { rooms: roomsRule } };
