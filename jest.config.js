const { availableParallelism } = require("node:os");

/** @type {import('jest').Config} */
module.exports = {
  // jest's default on two cores is one worker, which runs every suite in turn; with two, the
  // other suites run beside the end-to-end suite (its deploys wait on the provider a while).
  maxWorkers: Math.max(2, availableParallelism() - 1),
  testSequencer: "<rootDir>/jest-sequencer.js",
  testEnvironment: "node",
  roots: ["<rootDir>"],
  testMatch: ["**/__tests__/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/cdktf.out/", "/.local/"],
  modulePathIgnorePatterns: ["<rootDir>/.local/", "<rootDir>/cdktf.out/"],
  transform: {
    // Type checking is `npm run typecheck`; tests only transpile, which keeps them fast.
    "^.+\\.ts$": "ts-jest",
  },
  setupFilesAfterEnv: ["<rootDir>/setup.js"],
  // Once per run: one synthesis per configuration shared by every suite
  // (__tests__/support/synth.ts), the skip log and the registry check (global-setup.ts).
  globalSetup: "<rootDir>/__tests__/support/global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/support/global-teardown.ts",
  moduleFileExtensions: ["ts", "js", "json", "node"],
  reporters: ["default", "<rootDir>/jest-summary-reporter.js"],
};
