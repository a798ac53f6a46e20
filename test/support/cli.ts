import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { loadProfile, type VendorProfile } from '../../src/profile/vendor-profile.ts'
import { startReferenceServer, type ReferenceServer } from '../../src/reference/server.ts'
import { type FaultName, faultHooks } from './faults/index.ts'
import { call, uniqueUserName, validBody } from './reference.ts'
import type { ConformanceReport } from '../../src/report/types.ts'

/** The repository root: the CLI runs from here, as `node src/cli/bin.mjs`. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(REPO_ROOT, 'src/cli/bin.mjs')

/**
 * How long one CLI run may take before the helper kills it. Generous: a run is ~5 s alone, but the
 * unit project runs test files in parallel, each CLI run starts its own vitest, and other work shares the machine.
 */
export const CLI_TIMEOUT_MS = 150_000
/** Timeout for a test or hook that runs the CLI: the child's own limit, plus the time to read its reports. */
export const TEST_TIMEOUT_MS = CLI_TIMEOUT_MS + 15_000

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliChild {
  child: ChildProcessByStdio<null, Readable, Readable>
  /** Resolves on 'close' (all output read); rejects, after killing the child, when it outlives the timeout. */
  exited: Promise<CliResult>
  stdout(): string
  stderr(): string
}

const children = new Set<CliChild['child']>()

/** The child's environment: this process's, without what would leak into the CLI's own vitest run or its config. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VITEST|SCIM_)/.test(key) || key === 'NODE_ENV' || key === 'TEST') continue
    env[key] = value
  }
  return { ...env, NO_COLOR: '1', ...extra }
}

/** Starts `node src/cli/bin.mjs ...args` from the repository root, collecting stdout and stderr. */
export function spawnCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): CliChild {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env: childEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const timeoutMs = options.timeoutMs ?? CLI_TIMEOUT_MS
  const exited = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(
          `the CLI (${args.join(' ')}) did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      )
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      resolve({ code, signal, stdout, stderr })
    })
  })
  return { child, exited, stdout: () => stdout, stderr: () => stderr }
}

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return spawnCli(args, options).exited
}

/** The first line the child writes to stdout (without the newline); rejects if it exits first. */
export function firstStdoutLine(cli: CliChild): Promise<string> {
  return new Promise((resolve, reject) => {
    const onData = () => {
      const text = cli.stdout()
      const end = text.indexOf('\n')
      if (end === -1) return
      cli.child.stdout.off('data', onData)
      resolve(text.slice(0, end).trim())
    }
    cli.child.stdout.on('data', onData)
    cli.exited.then(
      (r) =>
        reject(
          new Error(`the CLI exited (code ${r.code}) before printing a line\nstdout: ${r.stdout}\nstderr: ${r.stderr}`),
        ),
      reject,
    )
  })
}

/** Kills (by pid, SIGKILL) the CLI children a failed test left running. */
export function killStrayChildren(): void {
  for (const child of children) child.kill('SIGKILL')
  children.clear()
}

const dirs: string[] = []

/** A fresh report directory under the OS temp dir; `removeTempDirs` deletes them all. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scimc-cli-'))
  dirs.push(dir)
  return dir
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })))
}

/** Every file below `dir` (dotfiles and dot-directories such as `.ledger/` included), with its text. */
export async function readTree(dir: string): Promise<{ path: string; text: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
  return Promise.all(files.map(async (path) => ({ path, text: await readFile(path, 'utf8') })))
}

export async function readReport(dir: string): Promise<ConformanceReport> {
  return JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as ConformanceReport
}

/** The `<testcase name="id">…</testcase>` element of a JUnit report, or null. */
export function junitTestcase(xml: string, id: string): string | null {
  const name = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`<testcase [^>]*name="${name}"[^>]*>[\\s\\S]*?</testcase>`).exec(xml)?.[0] ?? null
}

/** A distinctive bearer token, unlikely to occur by chance in any report. */
export function secretToken(): string {
  return `scimc-secret-${randomBytes(16).toString('hex')}`
}

let cube: Promise<VendorProfile> | null = null
const servers: ReferenceServer[] = []

/** A Cube-flavored reference server on 127.0.0.1, port 0, with ETags; `closeServers` closes them all. */
export async function startCube(options: { token: string; faults?: FaultName[] }): Promise<ReferenceServer> {
  cube ??= loadProfile({ vendor: 'cube' })
  const server = await startReferenceServer({
    profile: await cube,
    token: options.token,
    etag: true,
    hooks: faultHooks(options.faults ?? []),
  })
  servers.push(server)
  return server
}

export async function closeServers(): Promise<void> {
  await Promise.all(servers.splice(0).map((s) => s.close()))
}

/** Users the server holds before the harness comes: created with POST, as any client would. */
export async function seedUsers(
  server: ReferenceServer,
  token: string,
  count: number,
): Promise<Record<string, unknown>[]> {
  const users: Record<string, unknown>[] = []
  for (let i = 0; i < count; i++) {
    const reply = await call(server, 'POST', '/Users', { token, body: validBody('cube', uniqueUserName('resident')) })
    if (reply.status !== 201) throw new Error(`seeding a user: POST /Users answered ${reply.status}: ${reply.text}`)
    users.push(reply.json as Record<string, unknown>)
  }
  return users
}

/** The users a server holds, as sorted `id userName` lines: what "left as it was found" compares. */
export function userIndex(server: ReferenceServer): string[] {
  return server
    .users()
    .map((u) => `${String(u.id)} ${String(u.userName)}`)
    .sort()
}

/** Polls `condition` every `intervalMs` until it holds; throws after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  what: string,
  { timeoutMs = 60_000, intervalMs = 20 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await delay(intervalMs)
  }
}

/** A base URL nothing listens on: the port of a server that was just closed. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())))
  return `http://127.0.0.1:${port}`
}
