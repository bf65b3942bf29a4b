import { getContext, setContext } from 'svelte';
import type { AppState } from './app.svelte.js';

const KEY = Symbol('watchscope.app');
export function setAppState(s: AppState): void {
  setContext(KEY, s);
}
export function getAppState(): AppState {
  const s = getContext<AppState | undefined>(KEY);
  if (!s) throw new Error('no AppState in context');
  return s;
}
