// Builds the three parts from the top-level folders: main/ (the Electron shell and the Node-only
// CLI), the sandboxed preload (CommonJS, fully bundled: a sandboxed preload can only require
// electron), and renderer/ (Svelte). shared/ is imported by relative path from all three.
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = import.meta.dirname;

// Packages with files they read at run time next to their code, or native-ish Node packages,
// that must not be bundled.
const nodeExternals = [/^@grpc\//, '@kubernetes/client-node', 'ws', 'node-forge', 'electron'];

// The etcd client reads etcd's .proto files from `./proto/` beside its own module at run time.
// Once bundled, that module is part of a chunk, so the folder is copied beside that chunk.
function etcdProtos(): Plugin {
  const client = resolve(root, 'main/storage/etcd/client.ts');
  const protoDir = resolve(root, 'main/storage/etcd/proto');
  const files = readdirSync(protoDir, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile())
    .map((f) => relative(protoDir, join(f.parentPath, f.name)));
  return {
    name: 'watchscope:etcd-protos',
    generateBundle(_options, bundle) {
      const dirs = new Set<string>();
      for (const c of Object.values(bundle)) {
        if (c.type === 'chunk' && c.moduleIds.includes(client)) dirs.add(dirname(c.fileName));
      }
      if (dirs.size === 0) this.error(`${client} is in no chunk: the etcd protos would be missing at run time`);
      for (const d of dirs) {
        for (const f of files) {
          const fileName = join(d, 'proto', f).split('\\').join('/');
          this.emitFile({ type: 'asset', fileName, source: readFileSync(join(protoDir, f)) });
        }
      }
    },
  };
}

export default defineConfig({
  main: {
    plugins: [etcdProtos()],
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(root, 'main/index.ts'),
          cli: resolve(root, 'main/cli.ts'),
        },
        external: nodeExternals,
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { preload: resolve(root, 'main/preload.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [svelte({ configFile: false })],
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      rollupOptions: { input: resolve(root, 'renderer/index.html') },
    },
  },
});
