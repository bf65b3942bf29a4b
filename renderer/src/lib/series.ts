/** One line of a LineChart: points are plain numbers, never Svelte proxies. */
export type Series = { label: string; color: string; points: { x: number; y: number }[]; dashed?: boolean };
