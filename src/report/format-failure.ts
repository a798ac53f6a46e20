import type { AttributeDiff, CheckResult, Story } from '../checks/types.ts'
import { counterexampleError } from './_internals/exchange-error.ts'
import { scriptHeading } from './_internals/script-heading.ts'
import { cut, formatValue, printable, prettyResponseBody, prettyText, statusReason } from './_internals/text.ts'
import { scrubSecrets } from '../secrets.ts'
import { secretsFrom, type SecretOptions } from './scrub-token.ts'

/** The run's secrets (or its token): replaced wherever the server echoed them. */
export type FormatFailureOptions = SecretOptions

/** Bodies longer than this are cut in the text block (the full body stays in report.json). */
const BODY_LIMIT = 4096
const CELL_LIMIT = 48

function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((line) => (line.length > 0 ? by + line : line))
    .join('\n')
}

function cell(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ')
  return flat.length > CELL_LIMIT ? `${flat.slice(0, CELL_LIMIT - 1)}…` : flat
}

/** A plain-text table: attribute / sent / stored / note, columns padded to the widest cell. */
export function diffTable(diff: readonly AttributeDiff[]): string {
  const rows = [
    ['attribute', 'sent', 'stored', 'note'],
    ...diff.map((d) => [cell(d.attribute), cell(formatValue(d.sent)), cell(formatValue(d.stored)), cell(d.note)]),
  ]
  const widths = [0, 1, 2].map((col) => Math.max(...rows.map((row) => row[col]?.length ?? 0)))
  const line = (row: string[]) =>
    row
      .map((c, col) => (col < 3 ? c.padEnd(widths[col] ?? 0) : c))
      .join('  ')
      .trimEnd()
  const rule = widths.map((w) => '-'.repeat(w)).concat('-'.repeat(4))
  return [line(rows[0] ?? []), line(rule), ...rows.slice(1).map(line)].join('\n')
}

/** A failing sequence or race: its numbered steps (expected by the model, received), then its replay script. */
export function storyText(story: Story): string {
  const steps = story.steps.map((s) =>
    [
      `${s.n}.${s.parallel === undefined ? '' : ` [parallel ${s.parallel}]`} ${s.action}`,
      `   expected: ${s.expected}`,
      `   received: ${s.received}`,
    ].join('\n'),
  )
  return [
    `Story (${story.steps.length} steps):`,
    '',
    indent(steps.join('\n')),
    '',
    'Replay script:',
    '',
    indent(story.script.trimEnd()),
  ].join('\n')
}

/**
 * The failure block of one check, in the shape of schemathesis' CLI output: the title line, the
 * indented message (Received:/Expected: and the fix), the diff table for replace semantics, the
 * response (`[404] Not Found:` and the body), the request, then how to reproduce it.
 * Plain text, no colours; control characters from the server are shown escaped.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.5.1
 */
export function formatFailure(result: CheckResult, options: FormatFailureOptions = {}): string {
  const out: string[] = [`- ${result.title} [${result.id}] (${result.level}, ${result.source})`]
  if (result.message.trim().length > 0) out.push('', indent(result.message.trimEnd()))
  if (result.diff && result.diff.length > 0) out.push('', indent(diffTable(result.diff)))
  if (result.story && result.story.steps.length > 0) out.push('', storyText(result.story))

  const counterexample = result.counterexample
  if (counterexample) {
    const { request, response } = counterexample
    if (response) {
      const body =
        response.bodyText.length === 0
          ? '(empty body)'
          : cut(prettyResponseBody(response.bodyText, response.body), BODY_LIMIT)
      out.push('', `[${response.status}] ${statusReason(response.status)}:`, '', indent(body))
      if (response.truncated) out.push('', indent('(the client stopped reading the body at its size limit)'))
    } else {
      const error = counterexampleError(result)
      out.push('', error ? `[no response] ${error.code}: ${error.message}` : '[no response]')
    }
    out.push('', 'Request:', '', indent(`${request.method} ${request.url}`))
    if (request.body !== null && request.body.length > 0)
      out.push('', indent(cut(prettyText(request.body), BODY_LIMIT)))
  }

  out.push('', 'Reproduce with:', '')
  // The one curl line names a test user the run deleted at its end: only without a script that makes its own.
  if (result.reproduce && !result.reproduction) out.push(indent(result.reproduce), '')
  // The self-contained script (issue 16 item 4); a story prints it as its replay script already.
  if (result.reproduction && !result.story) out.push(scriptHeading(result.reproduction.script), '')
  if (result.reproduction && !result.story) out.push(indent(result.reproduction.script.trimEnd()), '')
  out.push(indent(result.path === null ? `seed=${result.seed}` : `seed=${result.seed} path=${result.path}`))
  // The same flags replay exactly this case (fast-check's path belongs to the check's own seed, derived from both).
  if (result.reproduction) out.push(indent(`replay: ${result.reproduction.replay}`))
  else if (result.path !== null)
    out.push(indent(`replay: scim-conformance run ... --seed ${result.seed} --only ${result.id} --path ${result.path}`))
  return scrubSecrets(printable(out.join('\n')), secretsFrom(options))
}
