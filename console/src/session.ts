/**
 * The signed-in session: the API key or bearer token the user pasted, kept
 * in this tab's sessionStorage only (gone when the tab closes), and the
 * typed client that sends it to the instance that served the console.
 */
import { createClient, type Credentials, type LedgerClient } from '@model-ledger/client';

const STORAGE_KEY = 'mll-console-credentials';

export function storedCredentials(): Credentials | undefined {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as Credentials;
  } catch {
    return undefined;
  }
}

export function storeCredentials(credentials: Credentials | undefined): void {
  if (credentials === undefined) sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credentials));
}

/** A client of the instance that served this page (same origin: no CORS, and the page's CSP allows it). */
export function clientFor(credentials: Credentials): LedgerClient {
  return createClient({ baseUrl: window.location.origin, credentials });
}

/** A secret pasted into the sign-in form: a JWT has three dot-separated parts, an API key starts with mll_. */
export function credentialsOf(secret: string): Credentials {
  const trimmed = secret.trim();
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(trimmed) ? { token: trimmed } : { apiKey: trimmed };
}
