/** Pieces every view shares: loading with errors, the API's error, tables, charts and downloads. */
import { ApiError } from '@model-ledger/client';
import { Chart, registerables, type ChartConfiguration } from 'chart.js';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

Chart.register(...registerables);

/** What a load gives a view: its value, or the error that stopped it. */
export interface Loaded<T> {
  readonly value?: T;
  readonly error?: unknown;
  readonly loading: boolean;
}

/**
 * Runs `load` when the view mounts and whenever a dependency changes
 * (`refresh` changes on each ledger event), keeping the last value while
 * a new one loads so that live updates do not flicker.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ loading: true });
  useEffect(() => {
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (value) => current && setState({ value, loading: false }),
      (error: unknown) => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, deps);
  return state;
}

/** The API's code and message (or any other error's message), as the API said them. */
export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined) return null;
  if (error instanceof ApiError) {
    return (
      <div class="error" role="alert" data-code={error.code}>
        <strong>{error.code}</strong> <span class="status">HTTP {error.status}</span>
        <div>{error.message.replace(/^\d+ [A-Z_]+: /, '')}</div>
        {error.transactionId !== undefined ? <div class="mono">transaction {error.transactionId}</div> : null}
      </div>
    );
  }
  return (
    <div class="error" role="alert">
      {error instanceof Error ? error.message : JSON.stringify(error)}
    </div>
  );
}

export function Section({ title, children, testId }: { title: string; children: ComponentChildren; testId?: string }) {
  return (
    <section class="card" data-testid={testId}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** A table of rows; each column names its header and how to show a row's cell. */
export interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => ComponentChildren;
}

export function Table<T>({ rows, columns, empty, testId }: { rows: readonly T[]; columns: Column<T>[]; empty: string; testId?: string }) {
  if (rows.length === 0) return <p class="muted">{empty}</p>;
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.header}>{c.header}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={i}>
            {columns.map((c) => (
              <td key={c.header}>{c.cell(row)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A Chart.js chart on a canvas, redrawn when its configuration changes. */
export function ChartView({ config, label }: { config: ChartConfiguration; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (canvas.current === null) return undefined;
    const chart = new Chart(canvas.current, {
      ...config,
      options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options },
    });
    return () => chart.destroy();
  }, [JSON.stringify(config.data)]);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}

/** Saves TEXT as a file named NAME through the browser's download. */
export function download(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** An amount of the token's smallest unit, grouped for reading. */
export function amount(value: string | undefined): string {
  if (value === undefined) return '';
  const negative = value.startsWith('-');
  const digits = negative ? value.slice(1) : value;
  return `${negative ? '−' : ''}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ' ')}`;
}

/** A short form of a long id, with the whole id on hover. */
export function Short({ id }: { id: string }) {
  return (
    <span class="mono" title={id}>
      {id.length > 20 ? `${id.slice(0, 10)}…${id.slice(-6)}` : id}
    </span>
  );
}

export function when(instant: string | undefined): string {
  return instant === undefined ? '' : instant.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
}
