// Builds the three parts from the top-level folders: main/ (the Electron shell and the Node-only
// CLI), the sandboxed preload (CommonJS, fully bundled: a sandboxed preload can only require
// electron), and renderer/ (Svelte). shared/ is imported by relative path from all three.
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { resolve } from 'node:path';

const root = import.meta.dirname;

// Loaded from disk at run time (etcd3 reads its .proto files next to its code), or native-ish
// Node packages that must not be bundled.
const nodeExternals = ['etcd3', /^@grpc\//, '@kubernetes/client-node', 'ws', 'node-forge', 'electron'];

export default defineConfig({
  main: {
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
