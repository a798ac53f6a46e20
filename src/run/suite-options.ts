/**
 * The conformance suites' vitest options: one per check, one worker thread. `suites/vitest.config.ts` (a plain
 * `vitest run`) and the CLI share them; the CLI passes them inline, so no config file is bundled or imported and no
 * module loader hook slows every later import (issue 15: the fixed cost of a run).
 */
export function suiteOptions(ext: 'ts' | 'js') {
  return {
    include: [`suites/**/*.test.${ext}`],
    globalSetup: [`suites/support/global-setup.${ext}`],
    testTimeout: 15 * 60_000,
    hookTimeout: 120_000,
    // One thread, one module graph: the suite files, run one after the other, share the run's one schedule
    // (src/run/schedule.ts), which runs every check at once over the run's one concurrency budget.
    pool: 'threads' as const,
    isolate: false,
    maxWorkers: 1,
    maxConcurrency: 8,
    // An area none of whose checks is selected (--only, --skip) registers no test: its file passes, empty.
    passWithNoTests: true,
    // Compiled suites are plain JavaScript: Node imports them as they are, with no vite module runner, no loader
    // hook and no results cache written into the installed package's folder.
    ...(ext === 'js' && { experimental: { viteModuleRunner: false, nodeLoader: false }, cache: false as const }),
  }
}
