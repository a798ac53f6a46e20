import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { Pool } from 'undici'
import { scimUser } from '../generate/scim-user.ts'
import { loadProfile } from '../profile/vendor-profile.ts'
import { buildConfig } from '../run/config.ts'
import { runChecks } from '../run/run-checks.ts'

const BIN = fileURLToPath(new URL('../cli/bin.mjs', import.meta.url))
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The harness's default: requests in flight, checks at once. */
export const DEFAULT_CONCURRENCY = 8

/** A reference server running in its own process, so that its CPU work does not share the client's event loop. */
export interface ServerProcess {
  /** `http://127.0.0.1:PORT` */
  origin: string
  token: string
  /** RSS high-water mark of the server process so far, in bytes (Linux `/proc`), or null where unknown. */
  peakRss(): Promise<number | null>
  /** CPU seconds (user + system) the server process has used so far (Linux `/proc`), or null where unknown. */
  cpuSeconds(): Promise<number | null>
  /** Stops the process (SIGTERM, then SIGKILL after 5 s); safe to call twice. */
  close(): Promise<void>
}

/**
 * Starts `scim-conformance serve` (the embedded reference server, ETags on, a random bearer token) on
 * 127.0.0.1 and an OS-picked port, in a child process. The child is killed if this process exits first.
 */
export async function startServerProcess(vendor: string): Promise<ServerProcess> {
  const token = randomBytes(16).toString('hex')
  const child = spawn(process.execPath, [BIN, 'serve', '--vendor', vendor, '--token', token, '--etag', '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stop = guardChild(child)
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  try {
    const baseUrl = await firstLine(child)
    return { origin: new URL(baseUrl).origin, token, peakRss: () => procPeakRss(child.pid), cpuSeconds: () => procCpuSeconds(child.pid), close: stop }
  } catch (error) {
    await stop()
    throw new Error(`the reference server for ${vendor} did not start: ${(error as Error).message}\n${stderr}`)
  }
}

/** Kills the child if this process exits first; the returned stop() sends SIGTERM (SIGKILL after 5 s) and waits for the exit. */
function guardChild(child: ChildProcess): () => Promise<void> {
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    process.off('exit', killOnExit)
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', (line) => {
      lines.close()
      resolve(line.trim())
    })
    child.once('exit', (code) => reject(new Error(`exited with code ${code} before printing its URL`)))
  })
}

/** VmHWM (the kernel's RSS high-water mark) of a process, from /proc; null off Linux or after exit. */
async function procPeakRss(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null
  try {
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))
    return kb ? Number(kb[1]) * 1024 : null
  } catch {
    return null
  }
}

/** utime + stime of a process, from /proc/<pid>/stat (in clock ticks of 1/100 s on Linux); null off Linux. */
async function procCpuSeconds(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the whole line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return null
  }
}

/** What one measured phase cost this process. */
export interface Measured<T> {
  value: T
  seconds: number
  /** CPU seconds (user + system) of this process during the phase. */
  cpuSeconds: number
  /** Highest RSS sampled (every 20 ms) during the phase, in bytes. */
  peakRss: number
  /** Highest V8 heap use sampled during the phase, in bytes. */
  peakHeap: number
}

/** Runs `fn` while sampling this process's RSS and heap every 20 ms. */
export async function measure<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  let peakRss = process.memoryUsage.rss()
  let peakHeap = process.memoryUsage().heapUsed
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage()
    peakRss = Math.max(peakRss, rss)
    peakHeap = Math.max(peakHeap, heapUsed)
  }
  const timer = setInterval(sample, 20)
  const cpu = process.cpuUsage()
  const started = performance.now()
  try {
    const value = await fn()
    const seconds = (performance.now() - started) / 1000
    const used = process.cpuUsage(cpu)
    sample()
    return { value, seconds, cpuSeconds: (used.user + used.system) / 1e6, peakRss, peakHeap }
  } finally {
    clearInterval(timer)
  }
}

/** One phase against one server: exchanges per second, and what each exchange cost the client and the server. */
export interface PhaseResult {
  exchanges: number
  seconds: number
  perSecond: number
  /** Client (this process) CPU milliseconds per exchange. */
  clientCpuMs: number
  /** Server process CPU milliseconds per exchange, or null where unknown. */
  serverCpuMs: number | null
  peakRss: number
}

async function phase(server: ServerProcess, fn: () => Promise<number>): Promise<PhaseResult & { measured: Measured<number> }> {
  const serverBefore = await server.cpuSeconds()
  const measured = await measure(fn)
  const serverAfter = await server.cpuSeconds()
  const exchanges = measured.value
  return {
    exchanges,
    seconds: measured.seconds,
    perSecond: exchanges / measured.seconds,
    clientCpuMs: (measured.cpuSeconds * 1000) / exchanges,
    serverCpuMs: serverBefore === null || serverAfter === null ? null : ((serverAfter - serverBefore) * 1000) / exchanges,
    peakRss: measured.peakRss,
    measured,
  }
}

/** Options of {@link rawPutLoop}. */
export interface RawLoopOptions {
  /** Requests in flight (one test user and one connection per slot). @defaultValue 8 */
  concurrency?: number
  /** Seconds of timed PUTs, after a one-second warm-up. @defaultValue 5 */
  seconds?: number
  /** Distinct valid bodies per slot, generated before the loop and cycled through. @defaultValue 100 */
  bodiesPerSlot?: number
}

/**
 * (a) The ceiling: valid `PUT /Users/{id}` with a bare undici `Pool` (no harness code in the loop), one test
 * user per in-flight slot, bodies generated and serialised beforehand. Also returns the mean round trip.
 */
export async function rawPutLoop(server: ServerProcess, vendor: string, options: RawLoopOptions = {}): Promise<PhaseResult & { roundTripMs: number; non200: number }> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  const profile = await loadProfile({ vendor, validate: false })
  const usersPath = `${profile.basePath}/Users`
  const headers = { authorization: `Bearer ${server.token}`, 'content-type': profile.requestMediaType, accept: 'application/scim+json, application/json' }
  const arbitrary = scimUser(profile, { userNamePrefix: `scimc-bench${randomBytes(3).toString('hex')}-` })
  const bodies = Array.from({ length: concurrency }, (_, slot) =>
    fc.sample(arbitrary, { seed: 1000 + slot, numRuns: options.bodiesPerSlot ?? 100 }).map((b) => JSON.stringify(b)))
  const pool = new Pool(server.origin, { connections: concurrency, pipelining: 1 })
  const ids: string[] = []
  try {
    for (let slot = 0; slot < concurrency; slot++) {
      const { statusCode, body } = await pool.request({ method: 'POST', path: usersPath, headers, body: bodies[slot][0] })
      const created = (await body.json()) as { id?: unknown }
      if (statusCode !== 201 || typeof created.id !== 'string') throw new Error(`POST ${usersPath} answered ${statusCode}: the raw loop needs one test user per slot`)
      ids.push(created.id)
    }
    const tally = { exchanges: 0, non200: 0, busyMs: 0 }
    const loop = async (slot: number, until: number) => {
      const path = `${usersPath}/${encodeURIComponent(ids[slot])}`
      for (let i = 1; performance.now() < until; i++) {
        const sent = performance.now()
        const { statusCode, body } = await pool.request({ method: 'PUT', path, headers, body: bodies[slot][i % bodies[slot].length] })
        await body.text()
        tally.busyMs += performance.now() - sent
        tally.exchanges++
        if (statusCode !== 200) tally.non200++
      }
    }
    const all = async (seconds: number) => {
      const until = performance.now() + seconds * 1000
      await Promise.all(ids.map((_, slot) => loop(slot, until)))
      return tally.exchanges
    }
    await all(1)
    Object.assign(tally, { exchanges: 0, non200: 0, busyMs: 0 })
    const result = await phase(server, () => all(options.seconds ?? 5))
    return { ...result, roundTripMs: tally.busyMs / tally.exchanges, non200: tally.non200 }
  } finally {
    for (const id of ids) await (await pool.request({ method: 'DELETE', path: `${usersPath}/${encodeURIComponent(id)}`, headers })).body.dump()
    await pool.close()
  }
}

/** Options of {@link harnessRun}. */
export interface HarnessRunOptions {
  /** Checks running at once, and the client's connection count. @defaultValue 8 */
  concurrency?: number
  /** `--runs`. @defaultValue 50 */
  runs?: number
  /** `--only` check ids. @defaultValue all checks */
  only?: string[]
  /** `--seed`. @defaultValue 1 */
  seed?: number
}

/**
 * (b) The full harness in this process (`runChecks`, no vitest) against a server: every exchange of the run
 * (discovery, test users, cases, cleanup) over the run's wall time.
 */
export async function harnessRun(server: ServerProcess, vendor: string, options: HarnessRunOptions = {}): Promise<PhaseResult & { checks: number; failed: string[]; peakHeap: number }> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  const reportDir = await mkdtemp(join(tmpdir(), 'scim-bench-'))
  try {
    const config = buildConfig({
      vendor, target: server.origin, token: server.token, runs: String(options.runs ?? 50), seed: String(options.seed ?? 1),
      concurrency: String(concurrency), only: (options.only ?? []).join(','), reportDir,
    })
    let results: Awaited<ReturnType<typeof runChecks>>['results'] = []
    const result = await phase(server, async () => {
      const run = await runChecks(config, server.origin, { parallel: concurrency })
      results = run.results
      return run.requests
    })
    return { ...result, checks: results.length, failed: results.filter((r) => r.status === 'failed').map((r) => r.id), peakHeap: result.measured.peakHeap }
  } finally {
    await rm(reportDir, { recursive: true, force: true })
  }
}

/** (a) and (b) for one vendor on one server process: the raw loop, one untimed warm-up run of the harness, then the timed run. */
export async function throughputBench(vendor: string, concurrency = DEFAULT_CONCURRENCY) {
  const server = await startServerProcess(vendor)
  try {
    const raw = await rawPutLoop(server, vendor, { concurrency })
    await harnessRun(server, vendor, { concurrency, runs: 5 })
    const harness = await harnessRun(server, vendor, { concurrency })
    return { vendor, raw, harness, ratio: harness.perSecond / raw.perSecond, serverPeakRss: await server.peakRss() }
  } finally {
    await server.close()
  }
}

/** (c) `npm run conformance` (`bin.mjs run`) as a subprocess with a temp report directory: wall time, exit code, the child's RSS high-water mark. */
export async function conformanceRun(args: string[] = []): Promise<{ seconds: number; exitCode: number | null; peakRss: number | null }> {
  const reportDir = await mkdtemp(join(tmpdir(), 'scim-bench-conformance-'))
  try {
    const started = performance.now()
    const child = spawn(process.execPath, [BIN, 'run', '--report-dir', reportDir, ...args], { cwd: ROOT, stdio: 'ignore' })
    const stop = guardChild(child)
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    // The embedded servers run inside the child (vitest threads too), so the child's VmHWM covers the whole run.
    let peakRss: number | null = null
    const timer = setInterval(() => {
      void procPeakRss(child.pid).then((rss) => { if (rss !== null) peakRss = Math.max(peakRss ?? 0, rss) })
    }, 100)
    try {
      const exitCode = await exit
      return { seconds: (performance.now() - started) / 1000, exitCode, peakRss }
    } finally {
      clearInterval(timer)
      await stop()
    }
  } finally {
    await rm(reportDir, { recursive: true, force: true })
  }
}

/** Property checks whose requests grow with `--runs` (one or two exchanges per case). */
export const SCALING_CHECKS = ['put.replace.values-stored', 'put.status.no-5xx', 'put.errors.format'] as const

/** (d) `runChecks` on {@link SCALING_CHECKS} at each `--runs`, a fresh server process per size. */
export async function scalingBench(vendor: string, sizes: readonly number[], concurrency = DEFAULT_CONCURRENCY) {
  const rows: { runs: number; harness: Awaited<ReturnType<typeof harnessRun>> }[] = []
  for (const runs of sizes) {
    const server = await startServerProcess(vendor)
    try {
      rows.push({ runs, harness: await harnessRun(server, vendor, { concurrency, runs, only: [...SCALING_CHECKS] }) })
    } finally {
      await server.close()
    }
  }
  return rows
}
