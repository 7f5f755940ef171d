/**
 * Starts one gateway API instance per member org against the running network
 * (the plan in MLL_RUNTIME_DIR), on real HTTP ports from MLL_API_TEST_PORT
 * (4000 + MLL_PORT_OFFSET unless set, so they shift with the network's ports), with API keys issued into a key file of this test run.
 * Every response the tests receive is recorded, so a test can assert that
 * none of them broke the spec.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request, { Response } from 'supertest';
import { KeyStore } from '../../gateway-api/src/auth/keys';
import { loadConfig } from '../../gateway-api/src/config';
import { Running, start } from '../../gateway-api/src/server';
import { loadPlan, runtimeDir } from './network';

// clinic comes last, so the other instances keep the ports they had before ClinicMSP joined.
export const API_ORGS = ['lab', 'hospital', 'clearing', 'regulator', 'clinic'] as const;
export type ApiOrg = (typeof API_ORGS)[number];

/** A JSON body as the tests read it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read bodies as untyped JSON and let expect() check the shape
export type Json = Record<string, any>;

/** Asserts an error answer: its status, its code, and the one error body shape; returns the error. */
export function expectError(response: Response, status: number, code: string): Json {
  expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(response.body)).toEqual(['error']);
  expect(typeof response.body.error.message).toBe('string');
  return response.body.error as Json;
}

/** Asserts a status, showing the body when it differs; returns the body. */
export function expectStatus(response: Response, status: number): Json {
  expect({ status: response.status, body: response.status === status ? undefined : response.body }).toEqual({ status, body: undefined });
  return response.body as Json;
}

/**
 * What a test reads through the API to check what a write moved; each read
 * asserts a 200. Plain functions, so a test can take them apart:
 * `const { balance } = apiReads(...)`.
 */
export interface ApiReads {
  /** The account's token balance. */
  readonly balance: (account: string) => Promise<bigint>;
  /** The account's unclaimed royalties. */
  readonly accrued: (account: string) => Promise<bigint>;
  readonly license: (id: string) => Promise<Json>;
  /** The licence's units left to use. */
  readonly remaining: (id: string) => Promise<string>;
}

/**
 * Reads as the caller `reader` returns, called at each read, so that it may
 * name a caller the test file makes later, in its `beforeAll`.
 */
export function apiReads(reader: () => ApiCaller): ApiReads {
  const license = async (id: string): Promise<Json> => expectStatus(await reader().get(`/v1/licenses/${id}`), 200);
  return {
    balance: async (account) => BigInt(expectStatus(await reader().get(`/v1/accounts/${account}/balance`), 200).amount),
    accrued: async (account) => BigInt(expectStatus(await reader().get(`/v1/accounts/${account}/royalties`), 200).unclaimed),
    license,
    remaining: async (id) => (await license(id)).remainingUnits as string,
  };
}

/** One caller of one instance: the user's key, and HTTP verbs that send it. */
export interface ApiCaller {
  readonly url: string;
  readonly key: string;
  get(path: string): Promise<Response>;
  post(path: string, body: object, headers?: Record<string, string>): Promise<Response>;
  put(path: string, body: object): Promise<Response>;
  patch(path: string, body: object): Promise<Response>;
  delete(path: string, headers?: Record<string, string>): Promise<Response>;
}

export interface ApiFleet {
  readonly urls: Record<ApiOrg, string>;
  /** The serving gate of each instance that runs one (see FleetOptions.orgEnv), by org. */
  readonly gates: Partial<Record<ApiOrg, string>>;
  /** Every response received through `as()` callers, in order. */
  readonly responses: Response[];
  /** A caller signing as USER of ORG (a key is issued on first use). */
  as(org: ApiOrg, user: string): ApiCaller;
  /** An HTTP client of ORG's instance with no key. */
  anonymous(org: ApiOrg): request.Agent;
  /** ORG's instance's own ledger connection, for what the HTTP API does not show. */
  ledgerOf(org: ApiOrg): Running['ledger'];
  stop(): Promise<void>;
}

/** What a test may change about the instances it starts. */
export interface FleetOptions {
  /** Only these orgs' instances (each still on its own port). */
  readonly orgs?: readonly ApiOrg[];
  /** Extra configuration variables, for example a low MLL_API_RATE_LIMIT. */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra configuration variables of one org's instance, for example a serving gate's (see `gateEnv`). */
  readonly orgEnv?: Partial<Record<ApiOrg, Readonly<Record<string, string>>>>;
}

/**
 * The configuration of a serving gate for the lab's test instance: on a free
 * port, with the TLS pair `up` enrolled for the lab's gate, in front of
 * `backends` (OIP model name → `unix:<socket>` or `http://host:port`), with
 * its own served-access log.
 */
export function gateEnv(backends: Readonly<Record<string, string>>, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const plan = loadPlan() as unknown as { orgs: { name: string; gate?: { tls: { cert: string } } }[] };
  const gate = plan.orgs.find((o) => o.name === 'lab')?.gate;
  if (gate === undefined) {
    throw new Error('the plan has no gate for the lab: run scripts/network.sh up on the current topology');
  }
  return {
    MLL_GATE_PORT: '0',
    MLL_GATE_TLS_DIR: dirname(gate.tls.cert),
    MLL_GATE_BACKENDS: JSON.stringify(backends),
    MLL_GATE_USER: 'admin',
    MLL_GATE_STATE_FILE: join(mkdtempSync(join(runtimeDir, 'gate-test-')), 'served.jsonl'),
    ...extra,
  };
}

/** Starts one instance per member org; stop() closes them and deletes the key files. */
export async function startApiFleet(options: FleetOptions = {}): Promise<ApiFleet> {
  const basePort = Number(process.env.MLL_API_TEST_PORT ?? 4000 + Number(process.env.MLL_PORT_OFFSET ?? 0));
  const keysDir = mkdtempSync(join(runtimeDir, 'api-test-'));
  const running = new Map<ApiOrg, Running>();
  const stores = new Map<ApiOrg, KeyStore>();
  try {
    for (const [index, org] of API_ORGS.entries()) {
      if (options.orgs !== undefined && !options.orgs.includes(org)) {
        continue;
      }
      const config = loadConfig({
        ...options.env,
        ...options.orgEnv?.[org],
        MLL_API_ORG: org,
        MLL_RUNTIME_DIR: runtimeDir,
        MLL_API_PORT: String(basePort + index),
        MLL_API_KEYS_FILE: join(keysDir, `${org}-keys.json`),
        MLL_API_EVENTS_CHECKPOINT_FILE: join(keysDir, `${org}-events.checkpoint.json`),
        MLL_API_LOG_LEVEL: process.env.MLL_API_LOG_LEVEL ?? 'silent',
        MLL_API_VALIDATE_RESPONSES: 'true',
      });
      running.set(org, await start(config));
      stores.set(org, new KeyStore(config.keysFile, org));
    }
  } catch (err) {
    await Promise.all([...running.values()].map((r) => r.close()));
    rmSync(keysDir, { recursive: true, force: true });
    throw err;
  }
  const urls = Object.fromEntries(API_ORGS.map((org) => [org, running.get(org)?.url ?? ''])) as Record<ApiOrg, string>;
  const gates = Object.fromEntries(
    [...running.entries()].flatMap(([org, r]) => (r.gate === undefined ? [] : [[org, r.gate.url]])),
  ) as Partial<Record<ApiOrg, string>>;
  const responses: Response[] = [];
  const callers = new Map<string, ApiCaller>();
  const record = async (pending: request.Test): Promise<Response> => {
    const response = await pending;
    responses.push(response);
    return response;
  };
  /**
   * A write's answer once every instance's peer holds its block. An instance
   * answers when its own org's peer has committed the write; another org's
   * peer may commit the block a moment later (with BFT ordering, often), and
   * a test that goes on as that org must not read the ledger from before it.
   */
  const committedEverywhere = async (pending: request.Test): Promise<Response> => {
    const response = await record(pending);
    const block = (response.body as { transaction?: { blockNumber?: string } } | undefined)?.transaction?.blockNumber;
    if (response.status < 300 && typeof block === 'string') {
      const target = BigInt(block) + 1n;
      const deadline = Date.now() + 15_000;
      for (const instance of running.values()) {
        while ((await instance.ledger.height().catch(() => 0n)) < target && Date.now() < deadline) await sleep(50);
      }
    }
    return response;
  };
  return {
    urls,
    gates,
    responses,
    as(org, user) {
      const id = `${org}/${user}`;
      let caller = callers.get(id);
      if (caller === undefined) {
        const { key } = (stores.get(org) as KeyStore).issue(user);
        const url = urls[org];
        const agent = request(url);
        caller = {
          url,
          key,
          get: (path) => record(agent.get(path).set('X-API-Key', key)),
          post: (path, body, headers = {}) => committedEverywhere(agent.post(path).set('X-API-Key', key).set(headers).send(body)),
          put: (path, body) => committedEverywhere(agent.put(path).set('X-API-Key', key).send(body)),
          patch: (path, body) => committedEverywhere(agent.patch(path).set('X-API-Key', key).send(body)),
          delete: (path, headers = {}) => committedEverywhere(agent.delete(path).set('X-API-Key', key).set(headers)),
        };
        callers.set(id, caller);
      }
      return caller;
    },
    anonymous: (org) => request.agent(urls[org]),
    ledgerOf: (org) => {
      const instance = running.get(org);
      if (instance === undefined) throw new Error(`this fleet runs no ${org} instance`);
      return instance.ledger;
    },
    stop: async () => {
      await Promise.all([...running.values()].map((r) => r.close()));
      rmSync(keysDir, { recursive: true, force: true });
    },
  };
}

/**
 * Every item of a list route, following `nextCursor` until it is null. A
 * filtered list (royalty payments by model) may return short or empty pages
 * before the last one, so a test must not read only the first.
 */
export async function allPages(caller: ApiCaller, path: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const joiner = path.includes('?') ? '&' : '?';
    const page: Response = await caller.get(`${path}${joiner}limit=100${cursor === null ? '' : `&cursor=${cursor}`}`);
    if (page.status !== 200) {
      throw new Error(`GET ${path} answered ${page.status}: ${JSON.stringify(page.body)}`);
    }
    items.push(...(page.body.items as Record<string, unknown>[]));
    cursor = page.body.nextCursor as string | null;
    if (cursor === null) {
      return items;
    }
  }
  throw new Error(`GET ${path} did not end within 1000 pages`);
}
