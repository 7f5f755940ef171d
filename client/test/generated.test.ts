/**
 * The client's types are generated from the API's own spec by the same
 * generator as the API's (npm run -w client generate): the two files must
 * be the same, so a change to the spec reaches clients in the same commit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('the client’s generated types', () => {
  it('are the API’s, from the same spec', () => {
    const root = join(__dirname, '..', '..');
    const client = readFileSync(join(root, 'client', 'src', 'generated', 'openapi.ts'), 'utf8');
    const api = readFileSync(join(root, 'gateway-api', 'src', 'generated', 'openapi.ts'), 'utf8');
    if (client !== api) {
      throw new Error('client/src/generated/openapi.ts is stale: run npm run -w gateway-api generate && npm run -w client generate');
    }
  });
});
