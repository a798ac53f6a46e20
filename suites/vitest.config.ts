import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { ConformanceReporter } from '../src/report/conformance-reporter.ts'
import { ScrubbedJUnitReporter } from '../src/report/junit-reporter.ts'
import { configFromEnv } from '../src/run/config.ts'
import { suiteOptions } from '../src/run/suite-options.ts'

// Compiled (the installed package: dist/suites/vitest.config.js), the suites it runs are the compiled ones.
const EXT = import.meta.url.endsWith('.js') ? 'js' : 'ts'

/**
 * The conformance suites for a plain `vitest run --config suites/vitest.config.ts`: one test per check, run against
 * the configured target (or the embedded reference server, which the global setup starts). It reads the SCIM_*
 * variables here, once, in the main process: the only place that reads them. The CLI loads no config file: it passes
 * the same options (src/run/suite-options.ts) with its own config and reporters.
 */
export default defineConfig(() => {
  const config = configFromEnv()
  return {
    root: fileURLToPath(new URL('..', import.meta.url)),
    test: {
      ...suiteOptions(EXT),
      provide: { run: config, embedded: false },
      reporters: [
        'default',
        // vitest's junit reporter, written only once complete and with every secret scrubbed.
        new ScrubbedJUnitReporter({ outputFile: join(config.reportDir, 'junit.xml'), suiteName: 'scim-conformance' }),
        new ConformanceReporter({ write: true }),
      ],
    },
  }
})
