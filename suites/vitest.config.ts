import { randomInt, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { ConformanceReporter } from '../src/report/conformance-reporter.ts'
import { ScrubbedJUnitReporter } from '../src/report/junit-reporter.ts'
import { ProgressReporter } from '../src/report/progress-reporter.ts'

// Fixed here, in the main process, so that every worker draws the same cases and stamps the same run id.
process.env.SCIM_SEED ??= String(randomInt(0, 2 ** 31 - 1))
process.env.SCIM_RUN_ID ??= randomUUID().slice(0, 8)
const reportDir = process.env.SCIM_REPORT_DIR ?? 'reports'
const fromCli = process.env.SCIM_CONFORMANCE_CLI === '1'

/** The conformance suites: one test per check, run against SCIM_TARGET (or the embedded reference server). */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['suites/**/*.test.ts'],
    globalSetup: ['src/run/global-setup.ts'],
    testTimeout: 15 * 60_000,
    hookTimeout: 120_000,
    // Threads sharing one module graph: the checks hold no global state, and a worker imports the harness once.
    pool: 'threads',
    isolate: false,
    maxConcurrency: 8,
    reporters: [
      fromCli ? new ProgressReporter() : 'default',
      // vitest's junit reporter, written only once complete and with every secret scrubbed.
      new ScrubbedJUnitReporter({ outputFile: join(reportDir, 'junit.xml'), suiteName: 'scim-conformance' }),
      new ConformanceReporter(),
    ],
  },
})
