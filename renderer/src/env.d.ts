// Types for the page: .svelte modules for tsc, and the preload's bridge object.
declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component<any>;
  export default component;
}

interface Window {
  /** Set by the Electron preload; absent in web mode. */
  watchscope?: import('../../shared/ipc.js').WatchscopeService;
}

declare module '*.css';
