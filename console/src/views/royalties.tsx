/**
 * The regulator's royalty flows: what each access paid, per model and
 * beneficiary, over the same filters as the accesses (each access record
 * carries its royalty shares, parents' included).
 */
import { useState } from 'preact/hooks';
import type { ViewProps } from '../app';
import { amount, ChartView, ErrorBox, Section, Short, Table, useLoad } from '../ui';
import { type AccessFilter, FilterForm, loadAccesses } from './accesses';

interface Flow {
  modelId: string;
  account: string;
  amount: bigint;
  accesses: number;
}

export function RoyaltiesView({ client, refresh }: ViewProps) {
  const [filter, setFilter] = useState<AccessFilter>({ by: 'all', value: '', from: '', to: '' });
  const loaded = useLoad(() => loadAccesses(client, filter), [filter, refresh]);
  const flows = new Map<string, Flow>();
  for (const access of loaded.value?.rows ?? []) {
    for (const share of access.royalties) {
      const key = `${share.modelId} ${share.account}`;
      const flow = flows.get(key) ?? { modelId: share.modelId, account: share.account, amount: 0n, accesses: 0 };
      flow.amount += BigInt(share.amount);
      flow.accesses += 1;
      flows.set(key, flow);
    }
  }
  const rows = [...flows.values()].sort((a, b) =>
    a.modelId === b.modelId ? a.account.localeCompare(b.account) : a.modelId.localeCompare(b.modelId),
  );
  const models = [...new Set(rows.map((r) => r.modelId))];
  const accounts = [...new Set(rows.map((r) => r.account))];
  const chart = {
    type: 'bar' as const,
    data: {
      labels: models,
      datasets: accounts.map((account) => ({
        label: account,
        data: models.map((m) => Number(flows.get(`${m} ${account}`)?.amount ?? 0n)),
      })),
    },
    options: { indexAxis: 'y' as const, scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } } },
  };
  return (
    <Section title="Royalty flows per model and beneficiary" testId="royalties">
      <FilterForm filter={filter} onApply={setFilter} />
      <ErrorBox error={loaded.error} />
      {rows.length > 0 ? <ChartView label="Royalties per model and beneficiary" config={chart} /> : null}
      <Table
        testId="royalty-table"
        rows={rows}
        empty={loaded.loading ? 'loading…' : 'No royalty paid in this selection.'}
        columns={[
          { header: 'Model', cell: (r) => <Short id={r.modelId} /> },
          { header: 'Beneficiary', cell: (r) => <Short id={r.account} /> },
          { header: 'Paid', cell: (r) => amount(r.amount.toString()) },
          { header: 'Shares', cell: (r) => r.accesses },
        ]}
      />
    </Section>
  );
}
