/**
 * The console's shell: sign-in with an API key or a JWT, the caller as the
 * API sees them (`/v1/me`), the views their role may use, and the live feed
 * of ledger events that refreshes the open view without a reload.
 */
import type { LedgerClient, LedgerEvent, Schemas } from '@model-ledger/client';
import { useEffect, useState } from 'preact/hooks';
import { clientFor, credentialsOf, storeCredentials, storedCredentials } from './session';
import { ErrorBox } from './ui';
import { AccessesView } from './views/accesses';
import { LicencesView } from './views/licences';
import { MarketView } from './views/market';
import { MeView } from './views/me';
import { ModelsView } from './views/models';
import { ProofView } from './views/proof';
import { ProposalsView } from './views/proposals';
import { RoyaltiesView } from './views/royalties';
import { StatementView } from './views/statement';

export type Me = Schemas['Me'];

/** What a view gets: the client, the caller, and a number that changes with each ledger event the caller may see. */
export interface ViewProps {
  readonly client: LedgerClient;
  readonly me: Me;
  readonly refresh: number;
  /** The part of the route after the view's name (a transaction id for the proof view). */
  readonly arg: string;
}

interface Route {
  readonly path: string;
  readonly title: string;
  readonly view: (props: ViewProps) => preact.JSX.Element;
  readonly for: (me: Me) => boolean;
}

const regulator = (me: Me): boolean => me.regulator;
const member = (me: Me): boolean => !me.regulator;
const ROUTES: Route[] = [
  { path: 'accesses', title: 'Accesses', view: AccessesView, for: regulator },
  { path: 'royalties', title: 'Royalty flows', view: RoyaltiesView, for: regulator },
  { path: 'market', title: 'Trades & governance', view: MarketView, for: () => true },
  { path: 'proof', title: 'Proof', view: ProofView, for: () => true },
  { path: 'me', title: 'Me', view: MeView, for: () => true },
  { path: 'licences', title: 'Licences', view: LicencesView, for: member },
  { path: 'statement', title: 'Royalties & claims', view: StatementView, for: member },
  { path: 'proposals', title: 'Proposals', view: ProposalsView, for: member },
  { path: 'models', title: 'My models', view: ModelsView, for: member },
];

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = (): void => setHash(window.location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function SignIn({ onSignedIn, error }: { onSignedIn: (secret: string) => void; error: unknown }) {
  const [secret, setSecret] = useState('');
  return (
    <main class="signin">
      <h1>model-ledger console</h1>
      <p>Sign in with the API key or the bearer token (JWT) your org issued you. It stays in this tab only.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSignedIn(secret);
        }}
      >
        <label>
          API key or JWT
          <input name="secret" type="password" autocomplete="off" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={secret.trim() === ''}>
          Sign in
        </button>
      </form>
      <ErrorBox error={error} />
    </main>
  );
}

/** How often, at most, ledger events make the open view read again: a busy ledger must not turn into a read per event. */
const REFRESH_EVERY_MS = 2000;

/**
 * The live feed: follows /v1/events for as long as the caller is signed in,
 * resuming after breaks by itself. `live` turns on once the API accepted the
 * stream; `refresh` moves at most every REFRESH_EVERY_MS while events come.
 */
function useFeed(client: LedgerClient | undefined): { refresh: number; recent: LedgerEvent[]; live: boolean; count: number } {
  const [feed, setFeed] = useState({ refresh: 0, recent: [] as LedgerEvent[], live: false, count: 0 });
  useEffect(() => {
    if (client === undefined) return undefined;
    const controller = new AbortController();
    let pending = false;
    const timer = setInterval(() => {
      if (!pending) return;
      pending = false;
      setFeed((f) => ({ ...f, refresh: f.refresh + 1 }));
    }, REFRESH_EVERY_MS);
    void (async () => {
      try {
        const stream = client.events({ signal: controller.signal, onOpen: () => setFeed((f) => ({ ...f, live: true })) });
        for await (const event of stream) {
          pending = true;
          setFeed((f) => ({ ...f, count: f.count + 1, recent: [event, ...f.recent].slice(0, 8) }));
        }
      } catch {
        setFeed((f) => ({ ...f, live: false }));
      }
    })();
    return () => {
      clearInterval(timer);
      controller.abort();
    };
  }, [client]);
  return feed;
}

/** The route's argument, decoded; a malformed escape is kept as typed rather than breaking the app. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function App() {
  const [client, setClient] = useState<LedgerClient | undefined>(() => {
    const stored = storedCredentials();
    return stored === undefined ? undefined : clientFor(stored);
  });
  const [me, setMe] = useState<Me | undefined>();
  const [error, setError] = useState<unknown>();
  const hash = useHash();
  const feed = useFeed(me === undefined ? undefined : client);

  useEffect(() => {
    if (client === undefined) return;
    client.me().then(
      (who) => {
        setMe(who);
        setError(undefined);
      },
      (err: unknown) => {
        setError(err);
        setClient(undefined);
        storeCredentials(undefined);
      },
    );
  }, [client]);

  if (client === undefined || me === undefined) {
    return (
      <SignIn
        error={error}
        onSignedIn={(secret) => {
          const credentials = credentialsOf(secret);
          storeCredentials(credentials);
          setClient(clientFor(credentials));
        }}
      />
    );
  }
  const routes = ROUTES.filter((r) => r.for(me));
  const [name, ...rest] = hash.replace(/^#\/?/, '').split('/');
  const route = routes.find((r) => r.path === name) ?? routes[0];
  const View = route.view;
  return (
    <div class="shell">
      <header>
        <span class="brand">model-ledger</span>
        <nav>
          {routes.map((r) => (
            <a key={r.path} href={`#/${r.path}`} class={r === route ? 'active' : ''}>
              {r.title}
            </a>
          ))}
        </nav>
        <span class="who" data-testid="who">
          {me.user}@{me.org} · {me.regulator ? 'regulator' : (me.role ?? 'no role')}
        </span>
        <span class={feed.live ? 'live on' : 'live'} title="ledger events received" data-testid="feed" data-live={String(feed.live)}>
          ● {feed.count} events
        </span>
        <button
          class="link"
          onClick={() => {
            storeCredentials(undefined);
            setMe(undefined);
            setClient(undefined);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        <View client={client} me={me} refresh={feed.refresh} arg={decoded(rest.join('/'))} />
      </main>
      {feed.recent.length > 0 ? (
        <aside class="feed" data-testid="recent-events">
          <h3>Live</h3>
          <ul>
            {feed.recent.map((e) => (
              <li key={e.id}>
                <span class="mono">{e.id}</span> {e.event}
              </li>
            ))}
          </ul>
        </aside>
      ) : null}
    </div>
  );
}
