/** A member's royalties (accrued and unclaimed), payments received, claims, and listings, for its own account and its org's. */
import { ok } from '@model-ledger/client';
import { useState } from 'preact/hooks';
import type { ViewProps } from '../app';
import { amount, ErrorBox, Section, Short, Table, useLoad, when } from '../ui';
import { ExportButtons } from './accesses';

async function first<T>(iterator: AsyncIterable<T>, limit = 200): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}

export function StatementView({ client, me, refresh }: ViewProps) {
  const accounts = me.role === 'admin' ? [me.orgAccount, me.account] : [me.account];
  const [account, setAccount] = useState(accounts[0]);
  const path = { account };
  const accrued = useLoad(() => client.api.GET('/v1/accounts/{account}/royalties', { params: { path } }).then(ok), [account, refresh]);
  const payments = useLoad(() => first(client.items('/v1/accounts/{account}/royalty-payments', { path })), [account, refresh]);
  const claims = useLoad(() => first(client.items('/v1/accounts/{account}/claims', { path })), [account, refresh]);
  const listings = useLoad(() => first(client.items('/v1/accounts/{account}/listings', { path })), [account, refresh]);
  return (
    <>
      <Section title="Royalties" testId="statement">
        {accounts.length > 1 ? (
          <label>
            Account
            <select value={account} onChange={(e) => setAccount(e.currentTarget.value)}>
              {accounts.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <ErrorBox error={accrued.error} />
        <p data-testid="unclaimed">
          Unclaimed: <strong>{amount(accrued.value?.unclaimed)}</strong> in {accrued.value?.rows ?? 0} accruals
        </p>
        <ExportButtons client={client} path={`/v1/accounts/${account}/royalty-payments`} query={{}} />
      </Section>
      <Section title="Payments received" testId="payments">
        <ErrorBox error={payments.error} />
        <Table
          rows={payments.value ?? []}
          empty="No royalty paid to this account."
          columns={[
            { header: 'When', cell: (r) => when(r.at) },
            { header: 'Kind', cell: (r) => r.kind ?? 'access' },
            { header: 'Model', cell: (r) => <Short id={r.modelId} /> },
            { header: 'Amount', cell: (r) => amount(r.amount) },
            { header: 'Proof', cell: (r) => <a href={`#/proof/${r.txId}`}>prove</a> },
          ]}
        />
      </Section>
      <Section title="Claims" testId="claims">
        <ErrorBox error={claims.error} />
        <Table
          rows={claims.value ?? []}
          empty="No claim yet."
          columns={[
            { header: 'When', cell: (c) => when(c.claimedAt) },
            { header: 'Amount', cell: (c) => amount(c.amount) },
            { header: 'Accruals', cell: (c) => c.rows },
            { header: 'By', cell: (c) => <Short id={c.claimedBy} /> },
          ]}
        />
      </Section>
      <Section title="Listings" testId="listings">
        <ErrorBox error={listings.error} />
        <Table
          rows={listings.value ?? []}
          empty="No listing."
          columns={[
            { header: 'Listing', cell: (l) => <Short id={l.listingId} /> },
            { header: 'Status', cell: (l) => l.status },
            { header: 'Models', cell: (l) => l.modelIds.join(', ') },
            { header: 'Ask per unit', cell: (l) => amount(l.askUnitPrice) },
            { header: 'Listed', cell: (l) => when(l.createdAt) },
          ]}
        />
      </Section>
    </>
  );
}
