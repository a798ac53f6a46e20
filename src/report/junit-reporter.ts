import { mkdir, rm } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { JUnitReporter, type Reporter, type TestModule, type TestRunEndReason, type Vitest } from 'vitest/node'
import { INTERRUPTED_MESSAGE } from '../checks/types.ts'
import { oneLine } from '../errors.ts'
import '../run/provided.ts'
import { scrubSecrets, secretsOf, type Secret } from '../secrets.ts'
import { writeFileAtomic } from './_internals/atomic-write.ts'

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
 */
export class ScrubbedJUnitReporter implements Reporter {
  readonly #inner: JUnitReporter
  readonly #outputFile: string
  readonly #secrets: () => readonly Secret[]
  #path = ''
  #lines: string[] = []

  constructor(options: ScrubbedJUnitOptions) {
    const { outputFile, secrets, ...junit } = options
    this.#inner = new JUnitReporter(junit)
    this.#outputFile = outputFile
    // By default the run's own: its provided configuration, with the token the global setup may have made.
    this.#secrets = secrets ?? (() => secretsOf(this.#ctx?.getRootProject().getProvidedContext().run ?? {}))
  }

  #ctx: Vitest | null = null

  async onInit(ctx: Vitest): Promise<void> {
    this.#ctx = ctx
    this.#path = resolve(this.#outputFile)
    // A junit.xml left by an earlier run must not pass for this one's should this run die before its end.
    await rm(this.#path, { force: true })
    await this.#inner.onInit(bufferedContext(ctx, (text) => this.#lines.push(text)))
  }

  async onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    _errors?: unknown,
    reason?: TestRunEndReason,
  ): Promise<void> {
    this.#lines = []
    const skipped = markSkipped(testModules, reason === 'interrupted')
    await this.#inner.onTestRunEnd(testModules)
    const xml = withHarnessErrors(withSkipMessages(this.#lines, skipped))
    this.#lines = []
    await mkdir(dirname(this.#path), { recursive: true })
    await writeFileAtomic(this.#path, scrubSecrets(xml, this.#secrets()))
  }
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
