import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { Pool } from 'undici'
import { scimUser } from '../../src/generate/scim-user.ts'
import { loadProfile } from '../../src/profile/vendor-profile.ts'
import { buildConfig } from '../../src/run/config.ts'
import { runChecks } from '../../src/run/run-checks.ts'

const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url))
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
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--vendor', vendor, '--token', token, '--etag', '--port', '0', '--host', '127.0.0.1'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const stop = guardChild(child)
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  try {
    const baseUrl = await firstLine(child)
    return {
      origin: new URL(baseUrl).origin,
      token,
      peakRss: () => procPeakRss(child.pid),
      cpuSeconds: () => procCpuSeconds(child.pid),
      close: stop,
    }
  } catch (error) {
    await stop()
    throw new Error(`the reference server for ${vendor} did not start: ${(error as Error).message}\n${stderr}`)
  }
}

/** Kills the child if this process exits first; stop() sends SIGTERM (SIGKILL after 5 s) and waits for the exit. */
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

async function phase(
  server: ServerProcess,
  fn: () => Promise<number>,
): Promise<PhaseResult & { measured: Measured<number> }> {
  const serverBefore = await server.cpuSeconds()
  const measured = await measure(fn)
  const serverAfter = await server.cpuSeconds()
  const exchanges = measured.value
  return {
    exchanges,
    seconds: measured.seconds,
    perSecond: exchanges / measured.seconds,
    clientCpuMs: (measured.cpuSeconds * 1000) / exchanges,
    serverCpuMs:
      serverBefore === null || serverAfter === null ? null : ((serverAfter - serverBefore) * 1000) / exchanges,
    peakRss: measured.peakRss,
    measured,
  }
}

/** Options of {@link openRawLoop}. */
export interface RawLoopOptions {
  /** Requests in flight (one test user and one connection per slot). @defaultValue 8 */
  concurrency?: number
  /** Distinct valid bodies per slot, generated before the loop and cycled through. @defaultValue 100 */
  bodiesPerSlot?: number
}

/** The raw loop, ready to run: its test users exist and its bodies are serialised. */
export interface RawLoop {
  /** PUTs for `seconds`; the mean round trip and the count of non-200 answers ride along. */
  run(seconds: number): Promise<PhaseResult & { roundTripMs: number; non200: number }>
  /** Deletes the test users and closes the pool. */
  close(): Promise<void>
}

/**
 * (a) The ceiling: valid `PUT /Users/{id}` with a bare undici `Pool` (no harness code in the loop), one test
 * user per in-flight slot, bodies generated and serialised beforehand.
 */
export async function openRawLoop(
  server: ServerProcess,
  vendor: string,
  options: RawLoopOptions = {},
): Promise<RawLoop> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  const profile = await loadProfile({ vendor, validate: false })
  const usersPath = `${profile.basePath}/Users`
  const headers = {
    authorization: `Bearer ${server.token}`,
    'content-type': profile.requestMediaType,
    accept: 'application/scim+json, application/json',
  }
  const arbitrary = scimUser(profile, { userNamePrefix: `scimc-bench${randomBytes(3).toString('hex')}-` })
  const bodies = Array.from({ length: concurrency }, (_, slot) =>
    fc.sample(arbitrary, { seed: 1000 + slot, numRuns: options.bodiesPerSlot ?? 100 }).map((b) => JSON.stringify(b)),
  )
  const pool = new Pool(server.origin, { connections: concurrency, pipelining: 1 })
  const ids: string[] = []
  const close = async () => {
    for (const id of ids)
      await (
        await pool.request({ method: 'DELETE', path: `${usersPath}/${encodeURIComponent(id)}`, headers })
      ).body.dump()
    await pool.close()
  }
  try {
    for (let slot = 0; slot < concurrency; slot++) {
      const { statusCode, body } = await pool.request({
        method: 'POST',
        path: usersPath,
        headers,
        body: bodies[slot][0],
      })
      const created = (await body.json()) as { id?: unknown }
      if (statusCode !== 201 || typeof created.id !== 'string')
        throw new Error(`POST ${usersPath} answered ${statusCode}: the raw loop needs one test user per slot`)
      ids.push(created.id)
    }
  } catch (error) {
    await close()
    throw error
  }
  const next = ids.map(() => 1)
  const run = async (seconds: number) => {
    const tally = { exchanges: 0, non200: 0, busyMs: 0 }
    const loop = async (slot: number, until: number) => {
      const path = `${usersPath}/${encodeURIComponent(ids[slot])}`
      while (performance.now() < until) {
        const sent = performance.now()
        const { statusCode, body } = await pool.request({
          method: 'PUT',
          path,
          headers,
          body: bodies[slot][next[slot]++ % bodies[slot].length],
        })
        await body.text()
        tally.busyMs += performance.now() - sent
        tally.exchanges++
        if (statusCode !== 200) tally.non200++
      }
    }
    const result = await phase(server, async () => {
      const until = performance.now() + seconds * 1000
      await Promise.all(ids.map((_, slot) => loop(slot, until)))
      return tally.exchanges
    })
    return { ...result, roundTripMs: tally.busyMs / tally.exchanges, non200: tally.non200 }
  }
  return { run, close }
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
export async function harnessRun(
  server: ServerProcess,
  vendor: string,
  options: HarnessRunOptions = {},
): Promise<PhaseResult & { checks: number; failed: string[]; peakHeap: number }> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  const reportDir = await mkdtemp(join(tmpdir(), 'scim-bench-'))
  try {
    const config = buildConfig({
      vendor,
      target: server.origin,
      token: server.token,
      runs: String(options.runs ?? 50),
      seed: String(options.seed ?? 1),
      concurrency: String(concurrency),
      only: (options.only ?? []).join(','),
      reportDir,
    })
    let results: Awaited<ReturnType<typeof runChecks>>['results'] = []
    const result = await phase(server, async () => {
      const run = await runChecks(config, server.origin, { parallel: concurrency })
      results = run.results
      return run.requests
    })
    return {
      ...result,
      checks: results.length,
      failed: results.filter((r) => r.status === 'failed').map((r) => r.id),
      peakHeap: result.measured.peakHeap,
    }
  } finally {
    await rm(reportDir, { recursive: true, force: true })
  }
}

/** Options of {@link harnessSustained}. */
export interface SustainedOptions extends HarnessRunOptions {
  /** Timed seconds: whole runs are repeated until this much time has passed. @defaultValue 5 */
  seconds?: number
}

/** (b) over a fixed time, like the raw loop: whole `runChecks` runs back to back; all exchanges over all wall time. */
export async function harnessSustained(
  server: ServerProcess,
  vendor: string,
  options: SustainedOptions = {},
): Promise<PhaseResult & { runs: number; failed: string[] }> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  const reportDir = await mkdtemp(join(tmpdir(), 'scim-bench-'))
  const failed = new Set<string>()
  let runs = 0
  try {
    const result = await phase(server, async () => {
      const until = performance.now() + (options.seconds ?? 5) * 1000
      let exchanges = 0
      do {
        const config = buildConfig({
          vendor,
          target: server.origin,
          token: server.token,
          runs: String(options.runs ?? 50),
          seed: String(options.seed ?? 1),
          concurrency: String(concurrency),
          only: (options.only ?? []).join(','),
          reportDir,
        })
        const run = await runChecks(config, server.origin, { parallel: concurrency })
        for (const r of run.results) if (r.status === 'failed') failed.add(r.id)
        exchanges += run.requests
        runs++
      } while (performance.now() < until)
      return exchanges
    })
    return { ...result, runs, failed: [...failed] }
  } finally {
    await rm(reportDir, { recursive: true, force: true })
  }
}

/** Sums phases measured in slices: exchanges and seconds add up, CPU per exchange is weighted, peak RSS the highest. */
function combine<T extends PhaseResult>(parts: T[]): PhaseResult {
  const exchanges = parts.reduce((n, p) => n + p.exchanges, 0)
  const seconds = parts.reduce((n, p) => n + p.seconds, 0)
  const weighted = (pick: (p: T) => number | null) =>
    parts.some((p) => pick(p) === null) ? null : parts.reduce((n, p) => n + pick(p)! * p.exchanges, 0) / exchanges
  return {
    exchanges,
    seconds,
    perSecond: exchanges / seconds,
    clientCpuMs: weighted((p) => p.clientCpuMs)!,
    serverCpuMs: weighted((p) => p.serverCpuMs),
    peakRss: Math.max(...parts.map((p) => p.peakRss)),
  }
}

/**
 * (a) and (b) for one vendor on one server process. The harness runs once cold (its first run in this
 * process for the vendor) and once more untimed; then the raw loop and back-to-back harness runs take
 * turns, `slices` times `seconds` each, so that a change in the machine's load hits both alike.
 */
export async function throughputBench(
  vendor: string,
  options: { concurrency?: number; slices?: number; seconds?: number } = {},
) {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  // Four short turns each rather than two long ones: this VM's speed drifts by half within a minute.
  const slices = options.slices ?? 4
  const seconds = options.seconds ?? 2
  const server = await startServerProcess(vendor)
  try {
    const loop = await openRawLoop(server, vendor, { concurrency })
    try {
      await loop.run(1)
      const cold = await harnessRun(server, vendor, { concurrency })
      await harnessRun(server, vendor, { concurrency })
      const rawParts: Awaited<ReturnType<RawLoop['run']>>[] = []
      const harnessParts: Awaited<ReturnType<typeof harnessSustained>>[] = []
      for (let i = 0; i < slices; i++) {
        rawParts.push(await loop.run(seconds))
        harnessParts.push(await harnessSustained(server, vendor, { concurrency, seconds }))
      }
      const raw = {
        ...combine(rawParts),
        roundTripMs:
          rawParts.reduce((n, p) => n + p.roundTripMs * p.exchanges, 0) / rawParts.reduce((n, p) => n + p.exchanges, 0),
        non200: rawParts.reduce((n, p) => n + p.non200, 0),
      }
      const harness = {
        ...combine(harnessParts),
        runs: harnessParts.reduce((n, p) => n + p.runs, 0),
        failed: [...new Set(harnessParts.flatMap((p) => p.failed))],
      }
      return {
        vendor,
        raw,
        cold,
        harness,
        ratio: harness.perSecond / raw.perSecond,
        serverPeakRss: await server.peakRss(),
      }
    } finally {
      await loop.close()
    }
  } finally {
    await server.close()
  }
}

/**
 * (c) `npm run conformance` (`bin.mjs run`) as a subprocess with a temp report directory: wall time, exit code, the
 * child's RSS high-water mark.
 */
export async function conformanceRun(
  args: string[] = [],
): Promise<{ seconds: number; exitCode: number | null; peakRss: number | null }> {
  const reportDir = await mkdtemp(join(tmpdir(), 'scim-bench-conformance-'))
  try {
    const started = performance.now()
    const child = spawn(process.execPath, [BIN, 'run', '--report-dir', reportDir, ...args], {
      cwd: ROOT,
      stdio: 'ignore',
    })
    const stop = guardChild(child)
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    // The embedded servers run inside the child (vitest threads too), so the child's VmHWM covers the whole run.
    let peakRss: number | null = null
    const timer = setInterval(() => {
      void procPeakRss(child.pid).then((rss) => {
        if (rss !== null) peakRss = Math.max(peakRss ?? 0, rss)
      })
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
