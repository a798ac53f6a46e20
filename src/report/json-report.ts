import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from './_internals/atomic-write.ts'
import { scrubSecrets } from '../secrets.ts'
import { scrubReport, secretsFrom, type SecretOptions } from './scrub-token.ts'
import type { ConformanceReport } from './types.ts'

/**
 * The run's secrets (`secrets: secretsOf(config)`, or just `token`): every occurrence, in any
 * form, is replaced before writing (the token with `$SCIM_TOKEN`).
 */
export type WriteReportOptions = SecretOptions

/**
 * report.json's text: two-space indented, newline-terminated, with the secrets scrubbed from every
 * value and then, as the last step, from the rendered text (which catches forms only rendering makes).
 */
export function renderJson(report: ConformanceReport, options: WriteReportOptions = {}): string {
  const secrets = secretsFrom(options)
  return scrubSecrets(`${JSON.stringify(scrubReport(report, secrets), null, 2)}\n`, secrets)
}

/** Writes `<dir>/report.json` atomically (creating `dir`) and returns its path. */
export async function writeJsonReport(report: ConformanceReport, dir: string, options: WriteReportOptions = {}): Promise<string> {
  await mkdir(dir, { recursive: true })
  const path = join(dir, 'report.json')
  await writeFileAtomic(path, renderJson(report, options))
  return path
}
