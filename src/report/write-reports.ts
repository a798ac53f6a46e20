import { writeHtmlReport } from './html-report.ts'
import { writeJsonReport, type WriteReportOptions } from './json-report.ts'
import type { ConformanceReport } from './types.ts'

export interface WrittenReports {
  json: string
  html: string
}

/**
 * Writes report.json and report.html into `dir` (created if needed), each atomically (a symlink
 * planted at either name is replaced, not followed), with the secrets scrubbed from both. Returns the two paths.
 */
export async function writeReports(
  report: ConformanceReport,
  dir: string,
  options: WriteReportOptions = {},
): Promise<WrittenReports> {
  const json = await writeJsonReport(report, dir, options)
  const html = await writeHtmlReport(report, dir, options)
  return { json, html }
}
