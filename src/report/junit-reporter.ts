import { mkdir, rm } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { JUnitReporter, type Reporter, type TestModule, type TestRunEndReason, type Vitest } from 'vitest/node'
import type { UserConsoleLog } from 'vitest'
import { INTERRUPTED_MESSAGE } from '../checks/types.ts'
import { oneLine } from '../errors.ts'
import '../run/provided.ts'
import { scrubSecrets, secretsOf, type Secret } from '../secrets.ts'
import { writeFileAtomic } from './_internals/atomic-write.ts'
import { formatFailure } from './format-failure.ts'

type JUnitOptions = NonNullable<ConstructorParameters<typeof JUnitReporter>[0]>

export interface ScrubbedJUnitOptions extends Omit<JUnitOptions, 'outputFile'> {
  /** Where junit.xml goes; a relative path is taken from the working directory, like the other reports. */
  outputFile: string
  /**
   * The secrets to scrub, read when the run ends.
   * @defaultValue `secretsOf` the run's `SCIM_TOKEN` and `SCIM_TARGET`
   */
  secrets?: () => readonly Secret[]
}

/**
 * vitest's JUnit reporter, rendered in memory, scrubbed, then written atomically. vitest's own
 * reporter opens its file at start-up (`w+`: it follows a planted symlink, and leaves a 0-byte file
 * until the run ends) and writes the failure texts and annotations (curl lines, server messages) as
 * they are. Here it writes into a buffer instead; the finished document has every secret removed and
 * replaces junit.xml in one rename, so the file is only ever absent or complete.
 *
 * Names carry the vendor, so that several vendors' files side by side in a CI dashboard stay apart:
 * `<testsuites name="scim-conformance.cube">`, each suite file's `<testsuite>` and its testcases'
 * `classname` `scim-conformance.cube.replace` (the `suiteName` option is the prefix), each testcase named
 * by its check id. A suite file with no selected check has no testcase and is left out. A warning (a
 * SHOULD deviation, which passes unless `--fail-on should`) carries its formatted block as `<system-out>`.
 */
export class ScrubbedJUnitReporter implements Reporter {
  readonly #options: Omit<JUnitOptions, 'outputFile'>
  readonly #outputFile: string
  readonly #secrets: () => readonly Secret[]
  #path = ''

  constructor(options: ScrubbedJUnitOptions) {
    const { outputFile, secrets, ...junit } = options
    this.#options = junit
    this.#outputFile = outputFile
    // By default the run's own: its provided configuration, with the token the global setup may have made.
    this.#secrets = secrets ?? (() => secretsOf(this.#ctx?.getRootProject().getProvidedContext().run ?? {}))
  }

  #ctx: Vitest | null = null
  #discarded = false

  /** The run is not one to report (its preflight failed while the worker started): no junit.xml is written. */
  discard(): void {
    this.#discarded = true
  }

  async onInit(ctx: Vitest): Promise<void> {
    this.#ctx = ctx
    this.#path = resolve(this.#outputFile)
    // A junit.xml left by an earlier run must not pass for this one's should this run die before its end.
    await rm(this.#path, { force: true })
  }

  async onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    _errors?: unknown,
    reason?: TestRunEndReason,
  ): Promise<void> {
    const ctx = this.#ctx
    if (!ctx || this.#discarded) return
    const run = ctx.getRootProject().getProvidedContext().run
    const root = [this.#options.suiteName ?? 'scim-conformance', ...(run?.vendor ? [run.vendor] : [])].join('.')
    const suiteOf = (file: string) => `${root}.${areaOf(file)}`
    const lines: string[] = []
    const inner = new JUnitReporter({
      classnameTemplate: ({ filename }) => suiteOf(filename),
      ...this.#options,
      suiteName: root,
    })
    await inner.onInit(bufferedContext(ctx, (text) => lines.push(text)))
    const skipped = markSkipped(testModules, reason === 'interrupted')
    addWarningOutput(testModules, run?.failOn === 'should')
    await inner.onTestRunEnd(testModules)
    const xml = withoutEmptySuites(withSuiteNames(withHarnessErrors(withSkipMessages(lines, skipped)), suiteOf))
    await mkdir(dirname(this.#path), { recursive: true })
    await writeFileAtomic(this.#path, scrubSecrets(xml, this.#secrets()))
  }
}

/** The area a suite file runs: `suites/replace.test.ts` (or compiled, `.js`) → `replace`. */
function areaOf(file: string): string {
  return basename(file).replace(/\.test\.[cm]?[jt]s$/, '')
}

/**
 * A warned check passes (unless `--fail-on should` made it a failure): most JUnit dashboards show a
 * passed testcase's `<properties>` nowhere, so the warning's formatted block goes to its `<system-out>`
 * (vitest's reporter writes a test's console output there), after a `WARN` line. An observation gets
 * its one line there too.
 */
function addWarningOutput(modules: ReadonlyArray<TestModule>, failOnShould: boolean): void {
  for (const module of modules) {
    for (const testCase of module.children.allTests()) {
      const result = testCase.meta().scimResult
      if (!result || testCase.result().state === 'failed') continue
      let content: string
      if (result.status === 'warned' && !failOnShould) content = `WARN ${formatFailure(result)}\n`
      else if (result.status === 'observed') content = `OBSERVED [${result.id}] ${result.message.split('\n')[0]}\n`
      else continue
      // The reported entity's task is what vitest's JUnit reporter reads (it is internal to vitest's types).
      const task = (testCase as unknown as { task: { id: string; logs?: UserConsoleLog[] } }).task
      const log: UserConsoleLog = { content, type: 'stdout', taskId: task.id, time: Date.now(), size: content.length }
      task.logs = [...(task.logs ?? []), log]
    }
  }
}

/** Each `<testsuite name="suites/replace.test.ts">` (vitest names a suite by its file) named by `suiteOf` it. */
function withSuiteNames(xml: string, suiteOf: (file: string) => string): string {
  return xml.replace(
    /(<testsuite name=")([^"]*)(")/g,
    (_, open: string, file: string, close: string) => `${open}${escapeXml(suiteOf(unescapeXml(file)))}${close}`,
  )
}

/** A suite file none of whose checks was selected (`--only`, `--skip`) has no testcase: not shown at all. */
function withoutEmptySuites(xml: string): string {
  return xml.replace(/^[ \t]*<testsuite [^>]*\btests="0"[^>]*>\s*<\/testsuite>\n/gm, '')
}

/**
 * The vitest context as the inner reporter sees it: no `outputFile` in the config (so it opens no
 * file of its own) and a logger whose `log` collects the document's lines. Everything else is the
 * real context, its methods bound to it.
 */
function bufferedContext(ctx: Vitest, collect: (text: string) => void): Vitest {
  const bound = (target: object, key: PropertyKey): unknown => {
    const value: unknown = Reflect.get(target, key, target)
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
  }
  const logger = new Proxy(ctx.logger, {
    get: (target, key) => (key === 'log' ? (text: string) => collect(String(text)) : bound(target, key)),
  })
  const config = new Proxy(ctx.config, {
    get: (target, key) => (key === 'outputFile' ? undefined : bound(target, key)),
  })
  return new Proxy(ctx, {
    get: (target, key) => (key === 'logger' ? logger : key === 'config' ? config : bound(target, key)),
  })
}

/**
 * vitest's JUnit reporter writes `<skipped/>` only for tests declared skipped: a check skipped at run
 * time (`t.skip(reason)`), one cut short by Ctrl-C, and one never started would read as passed. Each
 * is marked skipped here, with its reason: the check's own, or "interrupted" when the run was stopped
 * before it finished. Returns the message per test name (check ids are unique across suite files).
 */
function markSkipped(modules: ReadonlyArray<TestModule>, interrupted: boolean): Map<string, string> {
  const messages = new Map<string, string>()
  for (const module of modules) {
    for (const testCase of module.children.allTests()) {
      const state = testCase.result().state
      if (state === 'passed' || state === 'failed') continue
      const outcome = testCase.result()
      const note = outcome.state === 'skipped' ? outcome.note : undefined
      const result = testCase.meta().scimResult
      const message =
        result && result.status === 'inconclusive'
          ? `inconclusive: ${result.message.split('\n')[0]}`
          : result && result.status === 'skipped' && !result.interrupted
            ? result.message
            : interrupted
              ? 'interrupted'
              : (note ?? 'skipped')
      // The reported entity's task is what vitest's JUnit reporter reads (it is internal to vitest's types).
      ;(testCase as unknown as { task: { mode: string } }).task.mode = 'skip'
      messages.set(testCase.name, message)
    }
  }
  return messages
}

/**
 * A check that threw instead of concluding (a harness bug, a target that cannot host the run, the
 * target gone), or a suite hook that failed, is a harness error: JUnit's `<error>`, not a `<failure>`
 * of the server. vitest writes every thrown error as `<failure message="…" type="<error class>">` with
 * harness stack frames in its text; only a ConformanceError (a check's finding) stays a failure. The
 * others become `<error message="<one line>" type="…"/>`, and the `failures`/`errors` counts of their
 * suite and of the root move with them.
 */
function withHarnessErrors(xml: string): string {
  let moved = 0
  const recount = (open: string, n: number) =>
    n === 0
      ? open
      : open
          .replace(/\bfailures="(\d+)"/, (_, f: string) => `failures="${Number(f) - n}"`)
          .replace(/\berrors="(\d+)"/, (_, e: string) => `errors="${Number(e) + n}"`)
  const out = xml.replace(/(<testsuite [^>]*>)([\s\S]*?<\/testsuite>)/g, (_, open: string, body: string) => {
    let here = 0
    const changed = body.replace(
      /<failure message="([^"]*)" type="([^"]*)">[\s\S]*?<\/failure>/g,
      (whole: string, message: string, type: string) => {
        if (type === 'ConformanceError') return whole
        here++
        return `<error message="${escapeXml(oneLine(unescapeXml(message)))}" type="${type}"/>`
      },
    )
    moved += here
    return recount(open, here) + changed
  })
  return out.replace(/<testsuites [^>]*>/, (open) => recount(open, moved))
}

/** The rendered document, each `<skipped/>` given the message of its testcase. */
function withSkipMessages(lines: readonly string[], messages: ReadonlyMap<string, string>): string {
  let current: string | null = null
  return lines
    .map((line) => {
      const open = /<testcase [^>]*\bname="([^"]*)"/.exec(line)
      if (open) current = unescapeXml(open[1])
      const message = current === null ? undefined : messages.get(current)
      if (message !== undefined && /^\s*<skipped\/>\s*$/.test(line)) {
        const shown = message === INTERRUPTED_MESSAGE ? 'interrupted' : message
        return `${line.replace('<skipped/>', `<skipped message="${escapeXml(shown)}"/>`)}\n`
      }
      return `${line}\n`
    })
    .join('')
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const unescapeXml = (text: string): string =>
  text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(Number.parseInt(code, 16)))
    .replace(/&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&')
