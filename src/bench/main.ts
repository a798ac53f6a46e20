import { benchGenerate } from './generate-bench.ts'

/** One block of the benchmark report: a title and a table. */
interface Section {
  title: string
  headers: string[]
  run: () => Promise<(string | number)[][]>
}

const SECTIONS: Section[] = [
  {
    title: 'Generation: valid ScimUser payloads (fast-check, fixed seed, 20,000 per vendor)',
    headers: ['vendor', 'payloads/s'],
    run: async () => (await benchGenerate()).map((r) => [r.vendor, r.payloadsPerSecond]),
  },
]

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => r.map((c, i) => (typeof rows[0]?.[i] === 'number' ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ')
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n')
}

for (const section of SECTIONS) {
  console.log(`\n## ${section.title}\n`)
  console.log(table(section.headers, await section.run()))
}
