import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The project's own tests (unit, reference server, CLI, fault matrix), kept apart from the
// conformance suites that run against a target. Lives here to keep the requested top-level layout.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
