'use strict';
// @swc/jest strips types only (fast); `npm run typecheck` type-checks src and
// test with tsc. pkijs, asn1js and their helpers are ESM-only: jest on Node 20
// cannot require them, so they are transformed to CommonJS as well.
const esmOnly = [
  'pkijs',
  'asn1js',
  'bytestreamjs',
  '@noble/hashes',
  '@peculiar/utils',
  'pvtsutils',
  'pvutils',
];
const swc = ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
  // Tests may only reach 127.0.0.0/8: the guard refuses anything else.
  setupFiles: ['<rootDir>/test/setup/loopback-only.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
};
