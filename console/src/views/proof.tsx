/** The proof of a record from its block (GET /v1/audit/proofs/{transactionId}), each check passed or failed. */
import { ok } from '@model-ledger/client';
import { useEffect, useState } from 'preact/hooks';
import type { ViewProps } from '../app';
import { ErrorBox, Section, Short, Table, useLoad } from '../ui';

export function ProofView({ client, arg }: ViewProps) {
  const [draft, setDraft] = useState(arg);
  // A proof link followed from another view fills the form in.
  useEffect(() => setDraft(arg), [arg]);
  const proof = useLoad(
    () =>
      arg === ''
        ? Promise.resolve(undefined)
        : client.api.GET('/v1/audit/proofs/{transactionId}', { params: { path: { transactionId: arg } } }).then(ok),
    [arg],
  );
  const p = proof.value;
  return (
    <>
      <Section title="Prove a record against its block" testId="proof">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            window.location.hash = `#/proof/${encodeURIComponent(draft.trim())}`;
          }}
        >
          <label>
            Transaction or access id
            <input name="transactionId" class="mono wide" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
          </label>
          <button type="submit">Prove</button>
        </form>
        {proof.loading && arg !== '' ? <p class="muted">reading the block from this org's peer…</p> : null}
        <ErrorBox error={proof.error} />
      </Section>
      {p !== undefined ? (
        <>
          <Section title={`Checks: ${p.checks.every((c) => c.passed) ? 'all passed' : 'FAILED'}`} testId="proof-checks">
            <ul class="checks">
              {p.checks.map((c) => (
                <li key={c.name} class={c.passed ? 'pass' : 'fail'} data-testid="proof-check" data-passed={String(c.passed)}>
                  <strong>
                    {c.passed ? '✓' : '✗'} {c.name}
                  </strong>{' '}
                  <span class="muted">{c.detail}</span>
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Block" testId="proof-block">
            <dl>
              <dt>Number</dt>
              <dd>{p.block.number}</dd>
              <dt>Data hash</dt>
              <dd class="mono">{p.block.dataHash}</dd>
              <dt>Header hash</dt>
              <dd class="mono">{p.block.headerHash}</dd>
              <dt>Previous hash</dt>
              <dd class="mono">{p.block.previousHash}</dd>
              <dt>Next block's previous hash</dt>
              <dd class="mono">{p.nextBlock?.previousHash ?? '(no next block yet)'}</dd>
            </dl>
          </Section>
          <Section title="Transaction" testId="proof-transaction">
            <dl>
              <dt>Id</dt>
              <dd class="mono">{p.transactionId}</dd>
              <dt>Validation</dt>
              <dd>{p.transaction.validationCode}</dd>
              <dt>Creator</dt>
              <dd>
                {p.transaction.creator.mspId} · {p.transaction.creator.subject}
              </dd>
              <dt>Endorsers</dt>
              <dd>{p.transaction.endorsers.map((e) => e.mspId).join(', ')}</dd>
              <dt>Call</dt>
              <dd class="mono">
                {p.transaction.chaincode === undefined
                  ? '(no chaincode call)'
                  : `${p.transaction.chaincode.function}(${p.transaction.chaincode.args.join(', ')})`}
              </dd>
            </dl>
            <Table
              rows={p.transaction.writes}
              empty="No writes."
              columns={[
                { header: 'Key', cell: (w) => <Short id={w.key} /> },
                { header: 'Deleted', cell: (w) => (w.isDelete ? 'yes' : '') },
                { header: 'Value sha256', cell: (w) => <Short id={w.valueSha256 ?? ''} /> },
              ]}
            />
          </Section>
          <Section title="The record, as the API serves it" testId="proof-record">
            <pre>{JSON.stringify(p.record, null, 2)}</pre>
          </Section>
          {p.receipt !== undefined ? (
            <Section title={`Recorded in a batch: access ${p.receipt.position} of ${p.receipt.size}`} testId="proof-receipt">
              <dl>
                <dt>Merkle root the batch wrote</dt>
                <dd class="mono">{p.receipt.merkleRoot}</dd>
                <dt>Inclusion path, leaf to root</dt>
                <dd class="mono">{p.receipt.path.join(' ')}</dd>
              </dl>
            </Section>
          ) : null}
        </>
      ) : null}
    </>
  );
}
