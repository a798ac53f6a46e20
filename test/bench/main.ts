import { ALL_VENDORS } from '../../src/profile/vendors.ts'
import { benchGenerate } from './generate-bench.ts'
import { conformanceRun, DEFAULT_CONCURRENCY, SCALING_CHECKS, scalingBench, throughputBench } from './http-bench.ts'
import { checksSpan, fixedCost, latencyRun, phaseSpans, wholeRunVsRaw } from './wait-bench.ts'

/** Whole `npm run conformance` runs timed (their median is the figure). */
const CONFORMANCE_RUNS = 3
/** Runs behind the 25 ms latency figure (their median is the figure). */
const LATENCY_RUNS = 3

/** One block of the benchmark report: a title, a table, and notes printed under it. */
interface Section {
  title: string
  headers: string[]
  run: () => Promise<(string | number)[][]>
  notes?: string[]
}

// BENCH_VENDORS and BENCH_SCALING_RUNS shorten or stretch a run; by default `npm run bench` takes minutes on 2 cores.
const VENDORS = (process.env.BENCH_VENDORS ?? ALL_VENDORS.join(','))
  .split(',')
  .map((v) => v.trim())
  .filter(Boolean)
const SCALING_RUNS = (process.env.BENCH_SCALING_RUNS ?? '100,1000,10000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0)
const SCALING_VENDOR = VENDORS[0] ?? 'lightdash'
/** The vendor of the wait figures: one vendor, as issue 15 measured them. */
const WAIT_VENDOR = process.env.BENCH_WAIT_VENDOR ?? 'cube'

const mib = (bytes: number | null) => (bytes === null ? '-' : Math.round(bytes / 2 ** 20))
const fixed = (n: number | null, digits: number) => (n === null ? '-' : Number(n.toFixed(digits)))

const SECTIONS: Section[] = [
  {
    title: 'Generation: valid ScimUser payloads (fast-check, fixed seed, 20,000 per vendor)',
    headers: ['vendor', 'payloads/s'],
    run: async () => (await benchGenerate()).map((r) => [r.vendor, r.payloadsPerSecond]),
  },
  {
    title:
      'Throughput: HTTP exchanges/s, reference server in a child process on 127.0.0.1, ' +
      `concurrency ${DEFAULT_CONCURRENCY}`,
    headers: [
      'vendor',
      'phase',
      'exchanges',
      'seconds',
      'exchanges/s',
      'harness/raw',
      'client CPU ms/ex',
      'server CPU ms/ex',
      'peak RSS MiB',
    ],
    run: async () => {
      const rows: (string | number)[][] = []
      for (const vendor of VENDORS) {
        const { raw, cold, harness, ratio, serverPeakRss } = await throughputBench(vendor)
        rows.push(
          [
            vendor,
            `(a) raw undici PUT loop, round trip ${raw.roundTripMs.toFixed(2)} ms` +
              (raw.non200 ? `, ${raw.non200} non-200` : ''),
            raw.exchanges,
            fixed(raw.seconds, 2),
            Math.round(raw.perSecond),
            '',
            fixed(raw.clientCpuMs, 3),
            fixed(raw.serverCpuMs, 3),
            mib(raw.peakRss),
          ],
          [
            vendor,
            `(b) harness, ${cold.checks} checks, first run (cold)` +
              (cold.failed.length ? `, FAILED ${cold.failed.join(' ')}` : ''),
            cold.exchanges,
            fixed(cold.seconds, 2),
            Math.round(cold.perSecond),
            fixed(cold.perSecond / raw.perSecond, 2),
            fixed(cold.clientCpuMs, 3),
            fixed(cold.serverCpuMs, 3),
            mib(cold.peakRss),
          ],
          [
            vendor,
            `(b) harness, ${harness.runs} runs back to back (warm)` +
              (harness.failed.length ? `, FAILED ${harness.failed.join(' ')}` : ''),
            harness.exchanges,
            fixed(harness.seconds, 2),
            Math.round(harness.perSecond),
            fixed(ratio, 2),
            fixed(harness.clientCpuMs, 3),
            fixed(harness.serverCpuMs, 3),
            mib(harness.peakRss),
          ],
          [vendor, '    server process (RSS high-water mark)', '', '', '', '', '', '', mib(serverPeakRss)],
        )
      }
      return rows
    },
    notes: [
      '(a) a bare undici Pool: valid PUTs of pre-generated bodies, one test user per slot; 1 s warm-up, then 4 x 2 s.',
      '(b) runChecks (all checks, runs 50, seed 1), parallel = client concurrency: ' +
        'every exchange of a run (discovery, test users,',
      '    cases, cleanup) over its wall time. Cold: the first run; ' +
        'warm: after one more untimed run, whole runs back to back',
      '    for 4 x 2 s, taking turns with the 2 s slices of (a) so that the machine load hits both alike.',
      'harness/raw: exchanges/s of the row over (a). ' +
        'CPU ms/ex: CPU time per exchange of the client (this process) and of the server.',
    ],
  },
  {
    title:
      `What a user waits for: whole CLI runs (${WAIT_VENDOR}, --concurrency ${DEFAULT_CONCURRENCY}),` +
      ' each beside its ceiling',
    headers: ['run', 'requests', 'wall s', 'measured', 'ceiling', 'ratio', 'goal'],
    run: async () => {
      const rows: (string | number)[][] = []
      for (const runs of [25, 400]) {
        const r = await wholeRunVsRaw(WAIT_VENDOR, runs)
        rows.push([
          `(a) loopback, --runs ${runs}${r.run.exitCode === 0 ? '' : `, EXIT ${r.run.exitCode}`}`,
          r.run.requests,
          fixed(r.run.seconds, 1),
          `${Math.round(r.perSecond)} ex/s`,
          `${Math.round(r.raw)} ex/s raw`,
          fixed(r.ratio, 2),
          runs === 400 ? '>= 0.5' : '',
        ])
        // The checks alone: the same requests over the time from the first check to the last, without start-up.
        const checks = checksSpan(r.run)
        if (checks !== null)
          rows.push([
            '    the checks alone (first check to last)',
            r.run.requests,
            fixed(checks, 1),
            `${Math.round(r.run.requests / checks)} ex/s`,
            `${Math.round(r.raw)} ex/s raw`,
            fixed(r.run.requests / checks / r.raw, 2),
            '',
          ])
        for (const area of ['sequence', 'concurrency']) {
          const cost = r.run.byArea[area] ?? { requests: 0, checkSeconds: 0 }
          rows.push([
            `    of which put.${area}.* checks`,
            cost.requests,
            '',
            `${fixed(cost.checkSeconds, 1)} s of check time`,
            '',
            fixed(cost.requests / Math.max(1, r.run.requests), 2),
            '',
          ])
        }
      }
      for (const delay of [25, 100]) {
        // The goal's figure is a median: one run of it varies by a tenth on two cores.
        const runs = []
        for (let i = 0; i < (delay === 25 ? LATENCY_RUNS : 1); i++) runs.push(await latencyRun(WAIT_VENDOR, delay))
        for (const [i, r] of runs.entries())
          rows.push([
            `(b) ${delay} ms per request, --runs 25${runs.length > 1 ? ` (run ${i + 1})` : ''}` +
              (r.run.exitCode === 0 ? '' : `, EXIT ${r.run.exitCode}`),
            r.requests,
            fixed(r.run.seconds, 1),
            `${fixed(r.run.seconds, 1)} s wall`,
            `${fixed(r.ideal, 1)} s ideal`,
            fixed(r.ratio, 2),
            delay === 25 && runs.length === 1 ? '<= 1.5' : '',
          ])
        if (runs.length > 1) {
          const median = [...runs].sort((a, b) => a.ratio - b.ratio)[Math.floor(runs.length / 2)]
          rows.push([`(b) ${delay} ms per request: median`, '', '', '', '', fixed(median.ratio, 2), '<= 1.5'])
        }
      }
      const f = await fixedCost(WAIT_VENDOR)
      rows.push(
        ['(c) process start: --help', '', fixed(f.helpSeconds, 1), '', '', '', ''],
        [
          '(c) one check, one case',
          f.run.requests,
          fixed(f.run.seconds, 1),
          `${fixed(f.run.insideSeconds, 1)} s in the run`,
          `${fixed(f.outsideSeconds, 1)} s outside`,
          '',
          '',
        ],
        ...phaseSpans(f.run).map((p) => [`    ${p.span}`, '', fixed(p.seconds, 2), '', '', '', '']),
      )
      return rows
    },
    notes: [
      '(a) exchanges/s over the whole process wall time (start-up, preflight, suites, reports) against a raw',
      '    undici PUT loop on the same server process at the same concurrency, measured right after the run.',
      '    "The checks alone": the same requests over the span from the first check to the end of the suites',
      '    (phase marks), the rate a longer run tends to; its start-up (about 1.3 s) is what keeps (a) lower.',
      '(b) the same run through a loopback proxy that holds each request for the delay (test/bench/latency-proxy.ts);',
      '    ideal = requests through the proxy x delay / concurrency: every request pipelined over the pool.',
      `    At 25 ms: ${LATENCY_RUNS} runs, each with its own seed; the goal is their median ratio.`,
      'of which: requests and summed check time of the history and race checks (issue 14); ratio: their share',
      "    of the run's requests.",
      '(c) fixed cost: "in the run" is the report\'s durationMs (preflight to last check); "outside" the rest of the',
      '    wall time (process start, TypeScript loading, vitest start, report writing). Below it, the wall time cut at',
      "    the run's own phase marks (SCIM_CONFORMANCE_PHASES, src/cli/phase-marks.ts), from process start to exit.",
    ],
  },
  {
    title: 'npm run conformance (all vendors through vitest, embedded server, default flags), as a subprocess',
    headers: ['command', 'wall s', 'exit code', 'peak RSS MiB'],
    run: async () => {
      // Three runs: one run of three vendors at once on two cores varies by a tenth or more from run to run.
      const runs = []
      for (let i = 0; i < CONFORMANCE_RUNS; i++) runs.push(await conformanceRun())
      const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]
      return [
        ...runs.map((r, i) => [
          `node src/cli/bin.mjs run --report-dir <tmp>  (run ${i + 1})`,
          fixed(r.seconds, 1),
          r.exitCode ?? 'signal',
          mib(r.peakRss),
        ]),
        ['median', fixed(median.seconds, 1), '', ''],
      ]
    },
    notes: [
      'Exit code 0 = conformant; the reference server conforms, so anything else is a harness problem.',
      `${CONFORMANCE_RUNS} runs back to back (each with its own random seed); the goal (issue 15) is a median <= 10 s.`,
    ],
  },
  {
    title: `Scaling with --runs: runChecks on ${SCALING_CHECKS.join(', ')} (${SCALING_VENDOR})`,
    headers: [
      'runs',
      'exchanges',
      'seconds',
      'ms per run',
      'exchanges/s',
      'client CPU ms/ex',
      'peak RSS MiB',
      'peak heap MiB',
    ],
    run: async () =>
      (await scalingBench(SCALING_VENDOR, SCALING_RUNS)).map(({ runs, harness }) => [
        runs,
        harness.exchanges,
        fixed(harness.seconds, 2),
        fixed((harness.seconds * 1000) / runs, 2),
        Math.round(harness.perSecond),
        fixed(harness.clientCpuMs, 3),
        mib(harness.peakRss),
        mib(harness.peakHeap),
      ]),
    notes: [
      `${SCALING_CHECKS.length} checks run at once, each one case after another, ` +
        `so at most ${SCALING_CHECKS.length} requests are in flight.`,
      'ms per run: wall time / --runs (each run is one case of each check). A fresh server process per size.',
    ],
  },
]

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const numeric = headers.map((_, i) => rows.some((r) => typeof r[i] === 'number'))
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n')
}

const only = process.env.BENCH_SECTIONS?.split(',').map(Number)
const started = performance.now()
for (const [index, section] of SECTIONS.entries()) {
  if (only && !only.includes(index + 1)) continue
  console.log(`\n## ${section.title}\n`)
  console.log(table(section.headers, await section.run()))
  for (const note of section.notes ?? []) console.log(note)
}
console.log(
  `\nBenchmark wall time: ${((performance.now() - started) / 1000).toFixed(0)} s ` +
    `(${process.version}, ${process.platform}/${process.arch})`,
)
