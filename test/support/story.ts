/**
 * The story's fixtures, shared by the tests that tell it through the ledger
 * (10, 30) and through the API (20, 21): the lab's model, split 70/30 between
 * the lab's treasury and its engineer, and its metered offering. The API takes
 * the same fields as the chaincode client, so one builder serves both.
 */
import type { RegisterModelInput } from '@model-ledger/contract';
import { sha256 } from './ledger';

/** A model of the lab, unique to this run, paying the lab 70 % and its engineer 30 %, with a 5 % resale royalty. */
export function labModel(opts: { slug: string; description: string; run: string; engineerAccount: string }): RegisterModelInput & {
  royaltyPolicy: { beneficiaries: { account: string; shareBps: number }[]; resaleRoyaltyBps: number };
} {
  return {
    name: `${opts.slug}-${opts.run}`,
    description: opts.description,
    task: 'tabular-classification',
    intendedUse: 'Decision support for certified practitioners',
    version: '1',
    artifactSha256: sha256(`artifact-${opts.slug}-${opts.run}`),
    artifactUri: `https://models.lab.example/${opts.slug}/1.onnx`,
    inferenceEndpoint: `https://serving.lab.example/v2/models/${opts.slug}`,
    royaltyPolicy: {
      beneficiaries: [
        { account: 'org::LabMSP', shareBps: 7000 },
        { account: opts.engineerAccount, shareBps: 3000 },
      ],
      resaleRoyaltyBps: 500,
    },
  };
}

/** A metered offering of 100 units for practitioners of the given orgs, for diagnosis and research. */
export function meteredOffering(opts: { unitPrice: bigint | string; allowedMspIds: string[]; purposes?: string[] }): {
  kind: 'metered';
  unitPrice: string;
  supplyCap: string;
  transferable: boolean;
  requiredAttributes: Record<string, string>;
  allowedMspIds: string[];
  purposes: string[];
} {
  return {
    kind: 'metered',
    unitPrice: opts.unitPrice.toString(),
    supplyCap: '100',
    transferable: true,
    requiredAttributes: { role: 'practitioner' },
    allowedMspIds: opts.allowedMspIds,
    purposes: opts.purposes ?? ['clinical-diagnosis', 'research'],
  };
}
