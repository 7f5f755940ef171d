/** A model owner's models: versions, offerings, and the royalty statement of its treasury per model. */
import { ok } from '@model-ledger/client';
import { useState } from 'preact/hooks';
import type { ViewProps } from '../app';
import { amount, ErrorBox, Section, Short, Table, useLoad, when } from '../ui';

async function collect<T>(iterator: AsyncIterable<T>, limit = 200): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}

export function ModelsView({ client, me, refresh }: ViewProps) {
  const models = useLoad(async () => (await collect(client.items('/v1/models'), 1000)).filter((m) => m.ownerMspId === me.mspId), [refresh]);
  const [picked, setPicked] = useState('');
  const modelId = picked !== '' ? picked : (models.value?.[0]?.modelId ?? '');
  const path = { modelId };
  const none = Promise.resolve([]);
  const versions = useLoad(
    () =>
      modelId === ''
        ? none
        : client.api
            .GET('/v1/models/{modelId}', { params: { path } })
            .then(ok)
            .then((m) => m.versions),
    [modelId, refresh],
  );
  const offerings = useLoad(
    () => (modelId === '' ? none : collect(client.items('/v1/models/{modelId}/offerings', { path }))),
    [modelId, refresh],
  );
  const statement = useLoad(
    () =>
      modelId === ''
        ? none
        : collect(client.items('/v1/accounts/{account}/royalty-payments', { path: { account: me.orgAccount }, query: { modelId } })),
    [modelId, refresh],
  );
  return (
    <>
      <Section title="My org's models" testId="models">
        <ErrorBox error={models.error} />
        <Table
          rows={models.value ?? []}
          empty={models.loading ? 'loading…' : `${me.mspId} owns no model.`}
          columns={[
            {
              header: 'Model',
              cell: (m) => (
                <a href="#/models" onClick={() => setPicked(m.modelId)}>
                  {m.name}
                </a>
              ),
            },
            { header: 'Id', cell: (m) => <Short id={m.modelId} /> },
            { header: 'Active version', cell: (m) => m.activeVersion },
            { header: 'Task', cell: (m) => m.task },
            { header: 'Registered', cell: (m) => when(m.createdAt) },
          ]}
        />
      </Section>
      <Section title={`Versions of ${modelId}`} testId="versions">
        <ErrorBox error={versions.error} />
        <Table
          rows={versions.value ?? []}
          empty="No version."
          columns={[
            { header: 'Version', cell: (v) => v.version },
            { header: 'Artifact sha256', cell: (v) => <Short id={v.artifactSha256} /> },
            { header: 'Endpoint', cell: (v) => v.inferenceEndpoint },
            { header: 'Added', cell: (v) => when(v.addedAt) },
          ]}
        />
      </Section>
      <Section title="Offerings" testId="offerings">
        <ErrorBox error={offerings.error} />
        <Table
          rows={offerings.value ?? []}
          empty="No offering."
          columns={[
            { header: 'Offering', cell: (o) => <Short id={o.offeringId} /> },
            { header: 'Status', cell: (o) => o.status },
            { header: 'Supply cap', cell: (o) => o.supplyCap },
            { header: 'Terms version', cell: (o) => o.termsVersion },
            { header: 'Published', cell: (o) => when(o.publishedAt) },
          ]}
        />
      </Section>
      <Section title={`Royalty statement of ${me.orgAccount} for this model`} testId="owner-statement">
        <ErrorBox error={statement.error} />
        <Table
          rows={statement.value ?? []}
          empty="No royalty paid for this model yet."
          columns={[
            { header: 'When', cell: (r) => when(r.at) },
            { header: 'Kind', cell: (r) => r.kind ?? 'access' },
            { header: 'Licence', cell: (r) => <Short id={r.licenseId} /> },
            { header: 'Amount', cell: (r) => amount(r.amount) },
          ]}
        />
      </Section>
    </>
  );
}
