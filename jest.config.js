/** @type {import('jest').Config} */
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }];
// Tests compile the shared packages from their source (as tsconfig.test.json's paths do), so they never run against a stale or missing build.
const contractSource = {
  '^@model-ledger/contract$': '<rootDir>/contract/src/index.ts',
  '^@model-ledger/network-tools$': '<rootDir>/scripts/src/index.ts',
  '^@model-ledger/service-kit$': '<rootDir>/service-kit/src/index.ts',
  '^@model-ledger/client$': '<rootDir>/client/src/index.ts',
};

// Runtime folders hold the orderers' Raft snapshots (*.snap), which Jest would take for its own obsolete snapshots.
const notSources = ['<rootDir>/\\.runtime', '<rootDir>/bench/results', '<rootDir>/node_modules/\\.cache'];

module.exports = {
  // Integration tests restart the network and wait for commits; unit tests never come near this.
  testTimeout: 180000,
  // Integration files run in name order: 99-restart.test.ts restarts the network last.
  testSequencer: '<rootDir>/test/support/sequencer.js',
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      moduleNameMapper: contractSource,
      modulePathIgnorePatterns: notSources,
      // Each package owns its unit tests, beside its sources.
      testMatch: ['<rootDir>/{contract,scripts,chaincode,gateway-api,client,model-server}/test/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/quiet-chaincode.js'],
    },
    {
      displayName: 'integration',
      rootDir: __dirname,
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      moduleNameMapper: contractSource,
      modulePathIgnorePatterns: notSources,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    {
      // The namespaced run only (npm run test:hosts): each org on a host of its own.
      displayName: 'hosts',
      rootDir: __dirname,
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      moduleNameMapper: contractSource,
      modulePathIgnorePatterns: notSources,
      testMatch: ['<rootDir>/test/hosts/**/*.test.ts'],
    },
  ],
};
