/** Open proposals on the models the member may vote on, with a vote button for its own account and (admin) its org's. */
import { committed, type LedgerClient, type Schemas } from '@model-ledger/client';
import { useState } from 'preact/hooks';
import type { ViewProps } from '../app';
import { ErrorBox, Section, Short, Table, useLoad, when } from '../ui';

type Proposal = Schemas['Proposal'];

async function openProposals(client: LedgerClient): Promise<Proposal[]> {
  const open: Proposal[] = [];
  for await (const model of client.items('/v1/models')) {
    for await (const proposal of client.items('/v1/models/{modelId}/proposals', {
      path: { modelId: model.modelId },
      query: { state: 'open' },
    })) {
      open.push(proposal);
    }
    if (open.length >= 100) break;
  }
  return open;
}

function VoteButtons({ client, proposal, voter }: { client: LedgerClient; proposal: Proposal; voter: 'self' | 'org' }) {
  const [state, setState] = useState<{ busy?: boolean; error?: unknown; voted?: string }>({});
  const vote = async (choice: 'yes' | 'no' | 'abstain'): Promise<void> => {
    setState({ busy: true });
    try {
      await client.api
        .POST('/v1/proposals/{proposalId}/votes', { params: { path: { proposalId: proposal.proposalId } }, body: { choice, voter } })
        .then(committed);
      setState({ voted: choice });
    } catch (error) {
      setState({ error });
    }
  };
  if (state.voted !== undefined) return <span data-testid="voted">voted {state.voted}</span>;
  return (
    <span class="votes">
      {(['yes', 'no', 'abstain'] as const).map((choice) => (
        <button key={choice} disabled={state.busy === true} data-testid={`vote-${choice}`} onClick={() => void vote(choice)}>
          {choice}
        </button>
      ))}
      <ErrorBox error={state.error} />
    </span>
  );
}

export function ProposalsView({ client, me, refresh }: ViewProps) {
  const loaded = useLoad(() => openProposals(client), [refresh]);
  const [voter, setVoter] = useState<'self' | 'org'>(me.role === 'admin' ? 'org' : 'self');
  return (
    <Section title="Open proposals" testId="proposals">
      {me.role === 'admin' ? (
        <label>
          Vote as
          <select value={voter} onChange={(e) => setVoter(e.currentTarget.value as 'self' | 'org')}>
            <option value="org">the org's treasury ({me.orgAccount})</option>
            <option value="self">myself ({me.account})</option>
          </select>
        </label>
      ) : null}
      <ErrorBox error={loaded.error} />
      <Table
        testId="proposal-table"
        rows={loaded.value ?? []}
        empty={loaded.loading ? 'loading…' : 'No open proposal.'}
        columns={[
          { header: 'Proposal', cell: (p) => <Short id={p.proposalId} /> },
          { header: 'Model', cell: (p) => <Short id={p.modelId} /> },
          { header: 'Change', cell: (p) => p.change.kind },
          { header: 'Description', cell: (p) => p.description },
          { header: 'Voting ends', cell: (p) => when(p.votingEndsAt) },
          { header: 'Vote', cell: (p) => <VoteButtons client={client} proposal={p} voter={voter} /> },
        ]}
      />
    </Section>
  );
}
