import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { ConformanceReporter } from '../src/report/conformance-reporter.ts'
import { ScrubbedJUnitReporter } from '../src/report/junit-reporter.ts'
import { configFromEnv } from '../src/run/config.ts'
import { CLI_MODE } from '../src/run/provided.ts'

// Compiled (the installed package: dist/suites/vitest.config.js), the suites it runs are the compiled ones.
const EXT = import.meta.url.endsWith('.js') ? 'js' : 'ts'

/**
 * The conformance suites: one test per check, run against the configured target (or the embedded
 * reference server, which the global setup starts). The CLI hands its own config over with
 * `vitest.provide` and brings its own reporters; a plain `vitest run --config suites/vitest.config.ts`
 * reads the SCIM_* variables here, once, in the main process: the only place that reads them.
 */
export default defineConfig(({ mode }) => {
  const config = mode === CLI_MODE ? null : configFromEnv()
  return {
    root: fileURLToPath(new URL('..', import.meta.url)),
    test: {
      include: [`suites/**/*.test.${EXT}`],
      globalSetup: [`suites/support/global-setup.${EXT}`],
      testTimeout: 15 * 60_000,
      hookTimeout: 120_000,
      // One thread, one module graph: the suite files, run one after the other, share the run's one schedule
      // (src/run/schedule.ts), which runs every check at once over the run's one concurrency budget.
      pool: 'threads',
      isolate: false,
      maxWorkers: 1,
      maxConcurrency: 8,
      // An area none of whose checks is selected (--only, --skip) registers no test: its file passes, empty.
      passWithNoTests: true,
      // Compiled suites are plain JavaScript: Node imports them as they are, with no vite module runner, no loader
      // hook and no results cache written into the installed package's folder.
      ...(EXT === 'js' && { experimental: { viteModuleRunner: false, nodeLoader: false }, cache: false }),
      provide: config ? { run: config, embedded: false } : {},
      reporters: config
        ? [
            'default',
            // vitest's junit reporter, written only once complete and with every secret scrubbed.
            new ScrubbedJUnitReporter({
              outputFile: join(config.reportDir, 'junit.xml'),
              suiteName: 'scim-conformance',
            }),
            new ConformanceReporter({ write: true }),
          ]
        : [],
    },
  }
})
