/** A member's licences, its own and (for an admin) its org's: remaining units, expiry and the terms frozen at purchase. */
import { ok, type Schemas } from '@model-ledger/client';
import type { ViewProps } from '../app';
import { ErrorBox, Section, Short, Table, useLoad, when } from '../ui';

type Detail = Schemas['LicenseDetail'];

async function licencesOf(client: ViewProps['client'], holders: string[]): Promise<Detail[]> {
  const details: Detail[] = [];
  for (const holder of holders) {
    for await (const licence of client.items('/v1/licenses', { query: { holder } })) {
      details.push(ok(await client.api.GET('/v1/licenses/{licenseId}', { params: { path: { licenseId: licence.licenseId } } })));
      if (details.length >= 200) return details;
    }
  }
  return details;
}

export function LicencesView({ client, me, refresh }: ViewProps) {
  const holders = me.role === 'admin' ? [me.account, me.orgAccount] : [me.account];
  const loaded = useLoad(() => licencesOf(client, holders), [refresh]);
  return (
    <Section title="Licences" testId="licences">
      <ErrorBox error={loaded.error} />
      <Table
        testId="licence-table"
        rows={loaded.value ?? []}
        empty={loaded.loading ? 'loading…' : 'No licence held.'}
        columns={[
          { header: 'Licence', cell: (d) => <span data-testid="licence-id">{d.license.licenseId}</span> },
          { header: 'Holder', cell: (d) => <Short id={d.license.holder} /> },
          { header: 'Model', cell: (d) => <Short id={d.license.modelId} /> },
          { header: 'Remaining', cell: (d) => <span data-testid="remaining-units">{d.remainingUnits}</span> },
          { header: 'Used', cell: (d) => d.consumedUnits },
          { header: 'Expires', cell: (d) => when(d.license.expiresAt) || 'never' },
          {
            header: 'Frozen terms',
            cell: (d) =>
              `${d.terms.kind}, ${d.terms.unitPrice} per unit, purposes ${d.terms.purposes.join('/')}, ${d.terms.transferable ? 'transferable' : 'not transferable'}` +
              (d.license.resaleRoyaltyBps !== undefined ? `, resale royalty ${d.license.resaleRoyaltyBps / 100} %` : ''),
          },
        ]}
      />
    </Section>
  );
}
