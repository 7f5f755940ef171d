/**
 * The spec as a contract a client can rely on (issue 16 §6), checked without
 * a network: every operation lists the statuses it answers, each narrowing
 * `error.code` to codes of that status, and answers them through the
 * response validator; every request body shows an example the request
 * validator takes; and the spec's string formats refuse whatever the
 * chaincode's own validation refuses, so that a request the spec accepts
 * reaches the ledger.
 */
import { ErrorCode } from '@model-ledger/contract';
import express from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { parse } from 'yaml';
import * as chaincode from '../../chaincode/src/domain/validation';
import { ApiCode, ApiError, type Code } from '../src/errors';
import { errorMiddleware, statusOf } from '../src/http/errors';
import { encodeCursor } from '../src/services/common';

const SPEC_PATH = join(__dirname, '..', 'openapi.yaml');

type Node = Record<string, unknown>;

const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as Node;
const components = spec.components as Record<string, Record<string, Node>>;

/** Follows a local `$ref`, once or as often as it takes. */
function deref(node: Node): Node {
  let current = node;
  while (typeof current.$ref === 'string') {
    const [, kind, name] = /^#\/components\/(\w+)\/(.+)$/.exec(current.$ref) ?? [];
    current = components[kind][name];
  }
  return current;
}

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly id: string;
  readonly node: Node;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

const operations: Operation[] = Object.entries(spec.paths as Record<string, Node>).flatMap(([path, item]) =>
  METHODS.filter((method) => item[method] !== undefined).map((method) => {
    const node = item[method] as Node;
    return { method, path, id: node.operationId as string, node };
  }),
);

/** The codes an error response narrows `error.code` to. */
function codesOf(response: Node): string[] {
  const body = deref(((deref(response).content as Record<string, Node>)['application/json'] ?? {}).schema as Node);
  const error = (body.properties as Record<string, Node>).error;
  const code = (error.properties as Record<string, Node> | undefined)?.code;
  return (code?.enum as string[] | undefined) ?? [];
}

/** The error responses an operation lists: status → codes. */
function errorsOf(operation: Operation): Map<number, string[]> {
  const responses = operation.node.responses as Record<string, Node>;
  return new Map(
    Object.entries(responses)
      .filter(([status]) => /^[45]\d\d$/.test(status))
      .map(([status, response]) => [Number(status), codesOf(response)]),
  );
}

const v1 = operations.filter((operation) => operation.path.startsWith('/v1/'));

describe('the error responses of the spec', () => {
  it('list at least 400, 401, 403, 429, 503 and 504 on every /v1 operation, and 409 and 502 on every write', () => {
    const gaps = v1.flatMap((operation) => {
      const listed = [...errorsOf(operation).keys()];
      const wanted = [400, 401, 403, 429, 503, 504, ...(operation.method === 'get' ? [] : [409, 502])];
      const body = operation.node.requestBody === undefined ? [] : [413, 415];
      return [...wanted, ...body].filter((status) => !listed.includes(status)).map((status) => `${operation.id} ${status}`);
    });
    expect(gaps).toEqual([]);
  });

  it('list 404 on every read of a record its path names', () => {
    const reads = v1.filter((operation) => operation.method === 'get' && /\{(?!account\})\w+\}/.test(operation.path));
    expect(reads.filter((operation) => !errorsOf(operation).has(404)).map((operation) => operation.id)).toEqual([]);
  });

  it('narrow error.code, on every status an operation lists, to codes of that very status', () => {
    const wrong = operations.flatMap((operation) =>
      [...errorsOf(operation)].flatMap(([status, codes]) => {
        const misplaced = codes.filter((code) => statusOf(code) !== status);
        return codes.length === 0 || misplaced.length > 0 ? [`${operation.id} ${status}: ${misplaced.join(', ') || 'no enum'}`] : [];
      }),
    );
    expect(wrong).toEqual([]);
  });

  it('name every code a client can meet under its status somewhere', () => {
    const named = new Set(operations.flatMap((operation) => [...errorsOf(operation).values()].flat()));
    const codes: Code[] = [...Object.values(ErrorCode), ...Object.values(ApiCode)];
    // 405 is answered for methods a path lacks, 500 for our own bugs: `default` stands for both.
    const unnamed = codes.filter((code) => ![405, 500].includes(statusOf(code)) && !named.has(code));
    expect(unnamed).toEqual([]);
  });
});

/** Values for the path parameters of any operation. */
const PATH_VALUES: Record<string, string> = {
  modelId: 'M-4b1f0e9a7c2d5e83',
  offeringId: 'O-8c41d2e97a0b5f13',
  licenseId: 'L-5b7e0c9d12a4f368',
  listingId: 'LS-2f6c1a9e0b7d4e38',
  proposalId: 'P-7a0e5c3b9d1f2468',
  accessId: 'c'.repeat(64),
  transactionId: 'd'.repeat(64),
  account: 'org::HospitalMSP',
  version: '1',
  assetType: 'model',
  assetId: 'M-4b1f0e9a7c2d5e83',
};

/** The query an operation needs at least. */
const REQUIRED_QUERY: Record<string, Record<string, string>> = {
  listLicenses: { holder: 'org::HospitalMSP' },
  checkEntitlement: { purpose: 'research' },
};

function urlOf(operation: Operation): string {
  const path = operation.path.replace(/\{(\w+)\}/g, (_all, name: string) => encodeURIComponent(PATH_VALUES[name]));
  const query = new URLSearchParams(REQUIRED_QUERY[operation.id] ?? {}).toString();
  return query === '' ? path : `${path}?${query}`;
}

/** Every example of an operation's JSON request body, by name. */
function examplesOf(operation: Operation): [string, unknown][] {
  const media = ((operation.node.requestBody as Node | undefined)?.content as Record<string, Node> | undefined)?.['application/json'];
  if (media === undefined) {
    return [];
  }
  const named = Object.entries((media.examples as Record<string, Node> | undefined) ?? {}).map(([name, example]): [string, unknown] => [
    name,
    example.value,
  ]);
  return media.example === undefined ? named : [['example', media.example], ...named];
}

/** Express with the API's validator in front of `route`, and the API's error middleware behind. */
function validated(route: express.RequestHandler, validateResponses: boolean): express.Express {
  const app = express();
  app.use((req, _res, next) => {
    req.log = pino({ level: 'silent' });
    next();
  });
  app.use(express.json());
  app.use(
    OpenApiValidator.middleware({
      apiSpec: SPEC_PATH,
      validateRequests: { allowUnknownQueryParameters: false, allErrors: true },
      validateResponses,
      validateSecurity: false,
      ignoreUndocumented: false,
    }),
  );
  app.use(route);
  app.use(errorMiddleware);
  return app;
}

function send(app: express.Express, operation: Operation, body: unknown): request.Test {
  const call = request(app)[operation.method as 'get' | 'post' | 'put' | 'patch' | 'delete'](urlOf(operation));
  return body === undefined ? call : call.send(body as object);
}

describe('the request bodies of the spec', () => {
  const withBody = operations.filter((operation) => operation.node.requestBody !== undefined);

  it('each show an example', () => {
    expect(withBody.filter((operation) => examplesOf(operation).length === 0).map((operation) => operation.id)).toEqual([]);
  });

  it('have examples that the request validator accepts', async () => {
    const app = validated((_req, res) => void res.status(204).end(), false);
    const refused: string[] = [];
    for (const operation of withBody) {
      for (const [name, example] of examplesOf(operation)) {
        const response = await send(app, operation, example);
        if (response.status !== 204) {
          refused.push(`${operation.id} ${name}: ${response.status} ${JSON.stringify(response.body)}`);
        }
      }
    }
    expect(refused).toEqual([]);
  });
});

describe('the error answers of every operation', () => {
  it('pass the response validator with each code the operation lists', async () => {
    let code = '';
    const app = validated(() => {
      throw new ApiError(code as Code, `refused with ${code}`, undefined, statusOf(code) === 409 ? 1 : undefined);
    }, true);
    const broken: string[] = [];
    for (const operation of v1.filter((candidate) => candidate.id !== 'streamEvents')) {
      const body = examplesOf(operation)[0]?.[1];
      for (const [status, codes] of errorsOf(operation)) {
        for (const listed of codes) {
          code = listed;
          const response = await send(app, operation, body);
          if (response.status !== status || response.body?.error?.code !== listed) {
            broken.push(`${operation.id} ${listed}: ${response.status} ${JSON.stringify(response.body)}`);
          }
        }
      }
    }
    expect(broken).toEqual([]);
  });
});

/** Whether a string schema of the spec takes `value`, as ajv decides it (patterns in unicode mode, lengths in code points). */
function takes(schema: Node, value: string): boolean {
  const node = deref(schema);
  if (Array.isArray(node.allOf) && !(node.allOf as Node[]).every((part) => takes(part, value))) {
    return false;
  }
  const length = [...value].length;
  return (
    (typeof node.pattern !== 'string' || new RegExp(node.pattern, 'u').test(value)) &&
    (typeof node.minLength !== 'number' || length >= node.minLength) &&
    (typeof node.maxLength !== 'number' || length <= node.maxLength)
  );
}

/** Whether a chaincode validation takes `value` (it throws INVALID_ARGUMENT when not). */
function passes(check: (value: string) => unknown, value: string): boolean {
  try {
    check(value);
    return true;
  } catch {
    return false;
  }
}

const schema = (name: string): Node => ({ $ref: `#/components/schemas/${name}` });
const HEX = 'ab'.repeat(32);
const LONG_MSP = `A${'b'.repeat(63)}`;

/** Each spec format, the chaincode check it mirrors, and values on both sides of the line. */
const FORMATS: { name: string; schema: Node; check: (value: string) => unknown; values: string[] }[] = [
  {
    name: 'AccountId',
    schema: schema('AccountId'),
    check: (value) => chaincode.requireAccountId('account', value),
    values: [
      'org::HospitalMSP',
      'org::a',
      'org::.',
      'org::-MSP',
      `org::${LONG_MSP}`,
      `org::${LONG_MSP}c`,
      'org::Hospital_MSP',
      `x509::LabMSP::${HEX}`,
      `x509::.LabMSP::${HEX}`,
      `x509::LabMSP::${HEX.toUpperCase()}`,
      `x509::LabMSP::${HEX}0`,
      `x509::${LONG_MSP}::${HEX}`,
      'x509::LabMSP::',
      'org:HospitalMSP',
      '',
    ],
  },
  {
    name: 'MspId',
    schema: schema('MspId'),
    check: (value) => chaincode.requireMspId('mspId', value),
    values: ['HospitalMSP', 'a', '.', '-a', 'a.b-c', LONG_MSP, `${LONG_MSP}c`, 'Hospital_MSP', 'Hospital MSP', ''],
  },
  {
    name: 'Id',
    schema: schema('Id'),
    check: (value) => chaincode.requireId('id', value),
    values: ['M-4b1f0e9a7c2d5e83', '0', '_a', '.a', 'a_b.c-d', 'a'.repeat(64), 'a'.repeat(65), 'a b', 'a/b', ''],
  },
  {
    name: 'Units',
    schema: schema('Units'),
    check: (value) => chaincode.requireUnits('units', value),
    values: ['1', '0', '01', '999999999999', '1000000000000', '1000000000001', '9999999999999', '-1', '1.5', '1e3', ''],
  },
  {
    name: 'PositiveAmount',
    schema: schema('PositiveAmount'),
    check: (value) => chaincode.requirePositiveAmount('amount', value),
    values: ['1', '0', '007', '9'.repeat(30), `1${'0'.repeat(30)}`, `1${'0'.repeat(29)}1`, '9'.repeat(31), '-5', ''],
  },
  {
    name: 'Instant',
    schema: schema('Instant'),
    check: (value) => chaincode.requireIsoInstant('at', value),
    values: instants(),
  },
  {
    name: 'Text',
    schema: schema('ShortText'),
    check: (value) => chaincode.requireText('name', value, 128),
    values: [
      'Breast cancer diagnostic',
      ' x ',
      '',
      ' ',
      '\u00a0\u3000',
      '\ufeff',
      'a\tb',
      'a\nb',
      'a\u007fb',
      '\u0085',
      '\u180e',
      'Ünïcödé',
      'x'.repeat(128),
      'x'.repeat(129),
    ],
  },
  {
    name: 'Uri',
    schema: schema('Uri'),
    check: (value) => chaincode.requireUri('artifactUri', value),
    values: [
      's3://lab-models/breast-cancer-diagnostic/1/model.onnx',
      'https://x.example/a',
      'S3://bucket/x',
      'file:///tmp/x',
      's3://',
      's3://a b',
      's3://a\u00a0b',
      'bucket/x',
      `s3://${'a'.repeat(507)}`,
      `s3://${'a'.repeat(508)}`,
    ],
  },
  {
    name: 'HttpUrl',
    schema: schema('HttpUrl'),
    check: (value) => chaincode.requireHttpUrl('inferenceEndpoint', value),
    values: [
      'https://gate.lab.example:8443/v2/models/breast-cancer-diagnostic',
      'http://10.0.0.7:9000',
      'http://host/',
      'https:///v2',
      'ftp://host/x',
      'https://host /x',
      'https://host/a b',
      'https://hóst/x',
      `https://${'a'.repeat(504)}`,
      `https://${'a'.repeat(505)}`,
    ],
  },
];

/** ISO instants around every month end, in leap and common years and centuries, and clocks just past their range. */
function instants(): string[] {
  const values: string[] = [];
  for (const year of ['0000', '1900', '2000', '2024', '2026', '2100', '9999']) {
    for (let month = 0; month <= 13; month += 1) {
      for (const day of [0, 1, 28, 29, 30, 31, 32]) {
        const mm = String(month).padStart(2, '0');
        values.push(`${year}-${mm}-${String(day).padStart(2, '0')}T00:00:00Z`);
      }
    }
  }
  return [
    ...values,
    '2026-12-07T23:59:59.999Z',
    '2026-12-07T24:00:00Z',
    '2026-12-07T23:60:00Z',
    '2026-12-07T23:59:60Z',
    '2026-12-07T12:00:00.5Z',
    '2026-12-07T12:00:00+00:00',
    '2026-12-07',
    '٢٠٢٦-12-07T12:00:00Z',
  ];
}

describe('the string formats of the spec', () => {
  it.each(FORMATS.map((format) => [format.name, format] as const))('%s takes exactly what the chaincode takes', (_name, format) => {
    const disagreements = format.values
      .map((value) => ({ value, spec: takes(format.schema, value), chaincode: passes(format.check, value) }))
      .filter((result) => result.spec !== result.chaincode);
    expect(disagreements).toEqual([]);
  });

  it('has a Cursor format that every cursor this API makes matches', () => {
    const bookmarks = ['1', '25', '100', 'model/M-4b1f0e9a7c2d5e83', 'acctime/2026-12-07T00:00:00.000Z/' + HEX, 'tradeacct/org::LabMSP/x'];
    const cursor = deref(schema('Cursor'));
    for (const bookmark of bookmarks) {
      for (let cut = 0; cut <= bookmark.length; cut += 1) {
        // A filtered list's cursor may also count the matches of its chunk already served, from the list's start on.
        for (const skip of cut === 0 ? [1, 42, 100] : [0, 1, 42, 100]) {
          const made = encodeCursor(bookmark.slice(0, cut), skip);
          expect({ made, takes: takes(cursor, made) }).toEqual({ made, takes: true });
        }
      }
    }
    expect(['not-a-cursor', 'eyJ2IjoxLCJiIjoi', 'MSJ9'].filter((forged) => takes(cursor, forged))).toEqual([]);
  });
});
