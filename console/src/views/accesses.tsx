/**
 * The regulator's accesses: filtered by model, org, caller or licence, and
 * by time; a chart of accesses per day per model; each access's proof; and
 * the whole filtered list exported as CSV or NDJSON.
 */
import { errorOf, type Schemas } from '@model-ledger/client';
import { useState } from 'preact/hooks';
import type { ViewProps } from '../app';
import { ChartView, download, ErrorBox, Section, Short, Table, useLoad, when } from '../ui';

type Access = Schemas['AccessRecord'];

/** Records a view reads at most for its table and charts; the export has no such bound. */
export const VIEW_LIMIT = 2000;

export interface AccessFilter {
  by: 'all' | 'modelId' | 'mspId' | 'caller' | 'licenseId';
  value: string;
  from: string;
  to: string;
}

/** The API query of a filter: at most one of the four filters, and the time window. */
export function accessQuery(filter: AccessFilter): Record<string, string> {
  const query: Record<string, string> = {};
  if (filter.by !== 'all' && filter.value.trim() !== '') query[filter.by] = filter.value.trim();
  if (filter.from !== '') query.from = new Date(filter.from).toISOString();
  if (filter.to !== '') query.to = new Date(filter.to).toISOString();
  return query;
}

export async function loadAccesses(client: ViewProps['client'], filter: AccessFilter): Promise<{ rows: Access[]; more: boolean }> {
  const rows: Access[] = [];
  for await (const access of client.items('/v1/audit/accesses', { query: accessQuery(filter) })) {
    if (rows.length === VIEW_LIMIT) return { rows, more: true };
    rows.push(access);
  }
  return { rows, more: false };
}

export function FilterForm({ filter, onApply }: { filter: AccessFilter; onApply: (f: AccessFilter) => void }) {
  const [draft, setDraft] = useState(filter);
  return (
    <form
      class="filters"
      data-testid="access-filter"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <label>
        Filter by
        <select name="by" value={draft.by} onChange={(e) => setDraft({ ...draft, by: e.currentTarget.value as AccessFilter['by'] })}>
          <option value="all">nothing (all, by time)</option>
          <option value="modelId">model</option>
          <option value="mspId">org (MSP id)</option>
          <option value="caller">caller account</option>
          <option value="licenseId">licence</option>
        </select>
      </label>
      <label>
        Value
        <input
          name="value"
          value={draft.value}
          disabled={draft.by === 'all'}
          onInput={(e) => setDraft({ ...draft, value: e.currentTarget.value })}
        />
      </label>
      <label>
        From
        <input name="from" type="datetime-local" value={draft.from} onInput={(e) => setDraft({ ...draft, from: e.currentTarget.value })} />
      </label>
      <label>
        To
        <input name="to" type="datetime-local" value={draft.to} onInput={(e) => setDraft({ ...draft, to: e.currentTarget.value })} />
      </label>
      <button type="submit">Apply</button>
    </form>
  );
}

/** Accesses per day per model: one line per model. */
function perDayPerModel(rows: Access[]) {
  const days = [...new Set(rows.map((r) => r.timestamp.slice(0, 10)))].sort();
  const models = [...new Set(rows.map((r) => r.modelId))].sort();
  const counts = new Map<string, number>();
  for (const r of rows)
    counts.set(`${r.modelId} ${r.timestamp.slice(0, 10)}`, (counts.get(`${r.modelId} ${r.timestamp.slice(0, 10)}`) ?? 0) + 1);
  return {
    type: 'bar' as const,
    data: { labels: days, datasets: models.map((m) => ({ label: m, data: days.map((d) => counts.get(`${m} ${d}`) ?? 0) })) },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  };
}

export function ExportButtons({ client, path, query }: { client: ViewProps['client']; path: string; query: Record<string, string> }) {
  const [state, setState] = useState<{ busy?: string; error?: unknown; done?: string }>({});
  const exportAs = async (accept: string, extension: string): Promise<void> => {
    setState({ busy: extension });
    try {
      const response = await client.fetch(`${client.baseUrl}${path}?${new URLSearchParams(query).toString()}`, {
        headers: { Accept: accept },
      });
      if (!response.ok) throw errorOf(response, await response.json().catch(() => undefined));
      const blob = await response.blob();
      const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `export.${extension}`;
      download(name, blob);
      setState({ done: `${name}, ${blob.size} bytes` });
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <div class="exports">
      <button data-testid="export-csv" disabled={state.busy !== undefined} onClick={() => void exportAs('text/csv', 'csv')}>
        Export CSV
      </button>
      <button
        data-testid="export-ndjson"
        disabled={state.busy !== undefined}
        onClick={() => void exportAs('application/x-ndjson', 'ndjson')}
      >
        Export NDJSON
      </button>
      {state.busy !== undefined ? <span class="muted">exporting…</span> : null}
      {state.done !== undefined ? <span class="muted">saved {state.done}</span> : null}
      <ErrorBox error={state.error} />
    </div>
  );
}

export function AccessesView({ client, refresh }: ViewProps) {
  const [filter, setFilter] = useState<AccessFilter>({ by: 'all', value: '', from: '', to: '' });
  const loaded = useLoad(() => loadAccesses(client, filter), [filter, refresh]);
  const rows = loaded.value?.rows ?? [];
  return (
    <>
      <Section title="Accesses" testId="accesses">
        <FilterForm filter={filter} onApply={setFilter} />
        <ExportButtons client={client} path="/v1/audit/accesses" query={accessQuery(filter)} />
        <ErrorBox error={loaded.error} />
        <p class="muted" data-testid="access-count">
          {loaded.loading && loaded.value === undefined ? 'loading…' : `${rows.length}${loaded.value?.more === true ? '+' : ''} accesses`}
        </p>
        {rows.length > 0 ? <ChartView label="Accesses per day per model" config={perDayPerModel(rows)} /> : null}
        <Table
          testId="access-table"
          rows={rows.slice(-200).reverse()}
          empty="No access matches."
          columns={[
            { header: 'When', cell: (r) => when(r.timestamp) },
            { header: 'Model', cell: (r) => <Short id={r.modelId} /> },
            { header: 'Caller', cell: (r) => <Short id={r.callerAccount} /> },
            { header: 'Org', cell: (r) => r.callerMspId },
            { header: 'Licence', cell: (r) => <Short id={r.licenseId} /> },
            { header: 'Units', cell: (r) => r.units },
            { header: 'Purpose', cell: (r) => r.purpose },
            {
              header: 'Proof',
              cell: (r) => (
                // By the access's own id: for an access recorded in a batch, the proof checks its Merkle path.
                <a href={`#/proof/${r.accessId}`} data-testid="proof-link">
                  prove
                </a>
              ),
            },
          ]}
        />
      </Section>
    </>
  );
}
