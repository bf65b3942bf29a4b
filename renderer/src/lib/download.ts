// Exports of what a view shows: its rows as CSV or JSON, a chart as PNG, the session's HTML
// report. Built in the renderer from data it already holds (the report comes from the main
// process) and handed to the browser's download handling: the renderer never names a path.
import { exportName, toCsv, type Column } from './export.js';

/** Hands a file to the browser's (or Electron's) download handling. */
export function download(name: string, data: Blob, doc: Document = document): void {
  const url = URL.createObjectURL(data);
  const a = doc.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  doc.body.appendChild(a);
  a.click();
  a.remove();
  // The click has started the download; give the browser a moment before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadRows<T>(what: string, format: 'csv' | 'json', rows: readonly T[], columns: readonly Column<T>[]): void {
  const body = format === 'csv' ? toCsv(rows, columns) : JSON.stringify(rows, null, 2) + '\n';
  download(exportName(what, format), new Blob([body], { type: format === 'csv' ? 'text/csv' : 'application/json' }));
}

export function downloadCanvas(what: string, canvas: HTMLCanvasElement): Promise<void> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => {
      if (!b) return reject(new Error('the chart could not be drawn as PNG'));
      download(exportName(what, 'png'), b);
      resolve();
    }, 'image/png'),
  );
}
