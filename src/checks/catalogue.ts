import type { CheckDefinition } from './define-check.ts'
import type { Level } from './types.ts'

/** How each level is graded (the rule's RFC 2119 level: MUST fails, SHOULD warns, MAY or silence observes). */
const GRADE: Record<Level, string> = {
  MUST: 'a violation fails',
  SHOULD: 'a deviation warns',
  MAY: 'the behaviour is observed',
}

/**
 * The check catalogue a QA team reads (`docs/checks.md`), made from the registry itself so that it can
 * never drift from the code: per area, each check's id, level, source, the rule's sentence and what
 * the check sends. `npm run docs` writes it; a test keeps the committed file current.
 */
export function checksCatalogue(checks: readonly CheckDefinition<unknown>[]): string {
  const out = [
    '# The checks',
    '',
    '<!-- Generated from src/checks by `npm run docs`; do not edit by hand (a test compares it with the registry). -->',
    '',
    `${checks.length} checks of SCIM 2.0 \`PUT /Users/{id}\`, graded by the level of the rule they enforce:`,
    `MUST/SHALL: ${GRADE.MUST}; SHOULD: ${GRADE.SHOULD}; MAY: ${GRADE.MAY}. A check whose feature the server does not`,
    'declare is skipped with the reason. Ids are the values of `--only` / `--skip` and the JUnit testcase names.',
    '',
  ]
  const areas = [...new Set(checks.map((c) => c.area))]
  for (const area of areas) {
    out.push(`## ${area}`, '')
    for (const c of checks.filter((check) => check.area === area)) {
      out.push(`### \`${c.id}\` (${c.level})`, '')
      out.push(`${c.title}.`, '')
      out.push(`- **Source:** ${c.source}`)
      out.push(`- **Rule:** ${c.rule.replace(/\s+/g, ' ')}`)
      out.push(`- **Sends:** ${sends(c)}`)
      out.push('')
    }
  }
  return `${out.join('\n').trimEnd()}\n`
}

function sends(c: CheckDefinition<unknown>): string {
  const users = c.users ?? 0
  const on = c.casesCreateUsers
    ? 'on test users each case creates and deletes again'
    : users === 0
      ? 'without test users of its own'
      : `on ${users} test user${users > 1 ? 's' : ''} of its own`
  if (!c.cases) return `one probe ${on}`
  const runs =
    c.maxRuns === undefined
      ? '`--runs` generated cases'
      : `up to ${c.maxRuns} generated cases (fewer with a smaller \`--runs\`)`
  return `${runs} ${on}, each shrunk to its smallest form when it fails`
}
