/** A model's trades and its governance decisions: every proposal, with its state and tally. */
import { useState } from 'preact/hooks';
import type { ViewProps } from '../app';
import { amount, ErrorBox, Section, Short, Table, useLoad, when } from '../ui';
import { ExportButtons } from './accesses';

async function all<T>(iterator: AsyncIterable<T>, limit = 500): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}

export function MarketView({ client, refresh }: ViewProps) {
  const models = useLoad(() => all(client.items('/v1/models')), [refresh]);
  const [modelId, setModelId] = useState('');
  const chosen = modelId !== '' ? modelId : (models.value?.[0]?.modelId ?? '');
  const trades = useLoad(
    () => (chosen === '' ? Promise.resolve([]) : all(client.items('/v1/models/{modelId}/trades', { path: { modelId: chosen } }))),
    [chosen, refresh],
  );
  const proposals = useLoad(
    () => (chosen === '' ? Promise.resolve([]) : all(client.items('/v1/models/{modelId}/proposals', { path: { modelId: chosen } }))),
    [chosen, refresh],
  );
  return (
    <>
      <Section title="Trades & governance" testId="market">
        <ErrorBox error={models.error} />
        <label>
          Model
          <select name="model" value={chosen} onChange={(e) => setModelId(e.currentTarget.value)}>
            {(models.value ?? []).map((m) => (
              <option key={m.modelId} value={m.modelId}>
                {m.name} ({m.modelId})
              </option>
            ))}
          </select>
        </label>
      </Section>
      <Section title="Trades" testId="trades">
        {chosen !== '' ? <ExportButtons client={client} path={`/v1/models/${chosen}/trades`} query={{}} /> : null}
        <ErrorBox error={trades.error} />
        <Table
          rows={trades.value ?? []}
          empty="No trade of this model."
          columns={[
            { header: 'When', cell: (t) => when(t.at) },
            { header: 'Kind', cell: (t) => t.docType },
            { header: 'From', cell: (t) => <Short id={t.docType === 'trade' ? t.seller : t.from} /> },
            { header: 'To', cell: (t) => <Short id={t.docType === 'trade' ? t.buyer : t.to} /> },
            { header: 'Price', cell: (t) => (t.docType === 'trade' ? amount(t.price) : 'gift') },
            { header: 'Resale royalty', cell: (t) => (t.docType === 'trade' ? amount(t.royalty) : '') },
            { header: 'Proof', cell: (t) => <a href={`#/proof/${t.txId}`}>prove</a> },
          ]}
        />
      </Section>
      <Section title="Governance decisions" testId="decisions">
        <ErrorBox error={proposals.error} />
        <Table
          rows={proposals.value ?? []}
          empty="No proposal on this model."
          columns={[
            { header: 'Proposal', cell: (p) => <Short id={p.proposalId} /> },
            { header: 'Change', cell: (p) => p.change.kind },
            { header: 'Description', cell: (p) => p.description },
            { header: 'State', cell: (p) => <span class={`state ${p.state}`}>{p.state}</span> },
            { header: 'Voting ends', cell: (p) => when(p.votingEndsAt) },
            { header: 'Executed', cell: (p) => when(p.executedAt) },
          ]}
        />
      </Section>
    </>
  );
}
