// Jest runs in ESM mode (NestJS 12 ships ES modules only): see ../shared/notes/toolchain.md.
const libs = ['contracts', 'call-session-domain', 'event-store', 'messaging', 'testing'];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    [`^#(${libs.join('|')})$`]: '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testEnvironment: 'node',
  rootDir: '.',
};

export default {
  // many e2e tests poll a real service for up to 15–20 s (a sweep, a relay): jest's default 5 s
  // cut such a test short on a busy machine while its own bound still held (a project's own
  // testTimeout is not read: it must be here)
  testTimeout: 30_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,test}/**/*.spec.ts'] },
    { ...common, displayName: 'int', testMatch: ['<rootDir>/{apps,libs,test}/**/*.int-spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    { ...common, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.faults-spec.ts'] },
  ],
};
