import fc from 'fast-check'
import type { CheckContext } from '../context.ts'
import { defineCheck, verdict, violation, type Verdict } from '../define-check.ts'
import type { Level } from '../types.ts'
import { createSlot, type SequenceCase, sequenceCases } from '../probes/sequence-commands.ts'
import { at, Halt, newModel, type SequenceRule, SequenceRun, userNameOf } from '../probes/sequence-model.ts'
import { storyOf } from '../probes/story.ts'

/**
 * put.sequence.*: model-based sequences (issue 14). Random sequences of POST / PUT / GET / DELETE (with
 * If-Match where ETags are declared, and a filter by userName where filtering is) on test users each
 * sequence creates through the pool's ledger and deletes again, checked step by step against a model of
 * what RFC 7643/7644 say the service must then hold. One rule per check; every check judges its rule on
 * its own sequences, which start with a command that reaches it. A failing sequence is shrunk by
 * fast-check and reported as a story: numbered steps and a curl script that replays them.
 */

/**
 * Sequences per check: follows --runs, at most this many. Each costs some 20 to 40 requests, and each
 * starts with a command that reaches the rule, so two are enough to exercise it.
 */
const MAX_SEQUENCES = 2

/** Deletes every user of the sequence (verified by the pool, recorded in the ledger); the sweep gets any left. */
async function cleanup(ctx: CheckContext, run: SequenceRun): Promise<void> {
  for (const slot of run.model.slots) {
    try {
      await ctx.users.removeOne(slot.id)
    } catch {
      // The end-of-run sweep removes what the ledger still lists, and reports what stays.
    }
  }
}

/** The check's verdict from the judgements of its rule: the first violation's story, else a pass, else why not. */
function verdictOf(run: SequenceRun, rule: SequenceRule, title: string): Verdict {
  const mine = run.judgements.filter((j) => j.rule === rule)
  const traits = { ...run.traits, ...Object.assign({}, ...mine.map((j) => j.traits ?? {})) }
  const bad = mine.find((j) => j.outcome === 'violated')
  if (bad?.finding) {
    const upTo = bad.step + 1
    const labels = new Map(run.model.slots.map((s) => [s.id, s.label]))
    return violation(bad.finding, run.exchanges.slice(0, upTo), {
      focus: bad.step,
      ...(bad.diff ? { diff: bad.diff } : {}),
      story: storyOf({ ...run, labels }, upTo, `${run.ctx.checkId} (${title})`),
      traits,
    })
  }
  const held = mine.filter((j) => j.outcome === 'passed')
  if (held.length > 0)
    return verdict(
      'passed',
      `held ${held.length} time(s) over a sequence of ${run.steps.length} steps (${held[0].note}, ${at(held[0].step)})`,
      [...run.exchanges],
      { traits },
    )
  const why =
    mine.find((j) => j.outcome === 'inconclusive')?.note ??
    run.model.stopped ??
    `the sequence of ${run.steps.length} steps never reached the rule`
  return verdict('inconclusive', why, [...run.exchanges], { traits })
}

/** Runs one sequence: the setup's two users, the commands (fast-check's model run), the cleanup, the verdict. */
async function runSequence(ctx: CheckContext, rule: SequenceRule, title: string, input: SequenceCase) {
  const model = newModel(ctx)
  const run = new SequenceRun(ctx, rule, model)
  try {
    for (const body of input.setup) {
      const label = `u${model.slots.length + 1}`
      const made = await createSlot(
        run,
        body,
        `creating ${label} (userName ${JSON.stringify(userNameOf(body))})`,
        '201 with the new user (RFC 7644 §3.3)',
        'setup',
      )
      if (!made.slot)
        return verdict(
          'inconclusive',
          `the POST creating a test user for the sequence answered ${run.steps.at(-1)?.received}: no sequence to run`,
          [...run.exchanges],
          { traits: { 'constraint.sequence-post': String(run.steps.at(-1)?.received) } },
        )
    }
    const commands = [input.focus, ...input.rest]
    await fc.asyncModelRun(() => ({ model, real: run }), commands)
  } catch (error) {
    if (!(error instanceof Halt)) throw error
  } finally {
    await cleanup(ctx, run)
  }
  return verdictOf(run, rule, title)
}

interface SequenceSpec {
  rule: SequenceRule
  title: string
  level: Level
  source: string
  /** The rule's sentence, quoted where the wording is verified. */
  sentence: string
  skipIf?: (ctx: CheckContext) => string | null
}

function sequenceCheck(spec: SequenceSpec) {
  return defineCheck<SequenceCase>({
    id: `put.sequence.${spec.rule}`,
    title: spec.title,
    level: spec.level,
    source: spec.source,
    area: 'sequence',
    rule: spec.sentence,
    skipIf: spec.skipIf,
    maxRuns: MAX_SEQUENCES,
    casesCreateUsers: true,
    cases: (ctx) => sequenceCases(ctx, spec.rule),
    run: (ctx, _users, input) => runSequence(ctx, spec.rule, spec.title, input),
  })
}

/** SCIM-PUT-RULES 17: ETag rules apply only where /ServiceProviderConfig declares them. */
function etagSkip(ctx: CheckContext): string | null {
  if (!ctx.discovery.capabilities) return '/ServiceProviderConfig is unavailable, so ETag support is unknown'
  return ctx.discovery.capabilities.etag ? null : '/ServiceProviderConfig does not declare etag.supported true'
}

/** RFC 7644 §3.4.2.2: filtering is OPTIONAL; judged only where /ServiceProviderConfig declares it. */
function filterSkip(ctx: CheckContext): string | null {
  if (!ctx.discovery.capabilities) return '/ServiceProviderConfig is unavailable, so filtering support is unknown'
  return ctx.discovery.capabilities.filter ? null : '/ServiceProviderConfig does not declare filter.supported true'
}

/** RFC 7644 §3.6 (verified). */
export const deletedStaysGone = sequenceCheck({
  rule: 'deleted-stays-gone',
  title: 'A deleted user stays gone: GET and PUT on its id answer 404, and lists leave it out',
  level: 'MUST',
  source: 'RFC 7644 §3.6',
  sentence:
    'Service providers MAY choose not to permanently delete the resource but MUST return a 404 (Not Found) error ' +
    'code for all operations associated with the previously deleted resource. Service providers MUST omit the ' +
    'resource from future query results.',
})

/**
 * A refused PUT (400, 409, 412…) changes nothing: the client reads the error as "nothing happened"
 * (RFC 7644 §3.12), and for a failed precondition RFC 9110 §13.1.1 says the method MUST NOT be performed.
 */
export const refusedPutChangesNothing = sequenceCheck({
  rule: 'refused-put-changes-nothing',
  title: 'A refused PUT changes nothing (no value of its body is stored)',
  level: 'MUST',
  source: 'RFC 7644 §3.12; RFC 9110 §13.1.1',
  sentence:
    'A PUT answered with an error (400, 409, 412) was not performed: a GET after it shows the user as before, none ' +
    'of the values it carried (RFC 9110 §13.1.1: the origin server MUST NOT perform the requested method).',
})

/** RFC 7644 §3.5.1 (verified): "Any values provided SHALL replace the existing attribute values." */
export const getShowsLastWrite = sequenceCheck({
  rule: 'get-shows-last-write',
  title: 'A GET never shows an earlier state instead of the last successful write',
  level: 'MUST',
  source: 'RFC 7644 §3.5.1',
  sentence:
    'Any values provided SHALL replace the existing attribute values: once a PUT succeeded (and its response ' +
    'showed them), no later GET shows a value the user held before it.',
})

/** RFC 7643 §4.1.1 (verified), over the history: names taken by rename, by POST, or kept through a refused rename. */
export const usernameTaken = sequenceCheck({
  rule: 'username-taken',
  title: 'A userName another user holds by its history (rename, POST, refused rename) is never stored twice',
  level: 'MUST',
  source: 'RFC 7643 §4.1.1',
  sentence:
    "userName: This identifier MUST be unique across the service provider's entire set of Users. This attribute " +
    'is REQUIRED and is case insensitive. (A name a user took by a rename, by its POST, or kept through a refused ' +
    'rename is as taken as one it was created with; put.uniqueness.* judges the latter.)',
})

/** RFC 7644 §3.12 Table 9 lets a service provider reserve userNames: a freed one refused is a fact, not a fault. */
export const usernameFreed = sequenceCheck({
  rule: 'username-freed',
  title: 'A userName freed by a rename or a DELETE is accepted again (or reserved: recorded)',
  level: 'MAY',
  source: 'RFC 7643 §4.1.1; RFC 7644 §3.12 Table 9',
  sentence:
    'uniqueness: One or more of the attribute values are already in use or are reserved. A userName no user ' +
    'holds any more is free; a service provider MAY keep it reserved.',
})

/** RFC 7644 §3.4.2.2 (verified wording): a filter returns only the resources that match it. */
export const filterCurrent = sequenceCheck({
  rule: 'filter-current',
  title: 'A filter by a userName a user gave up (by a rename) no longer lists it',
  level: 'MUST',
  source: 'RFC 7644 §3.4.2.2',
  sentence: 'When specified, only those resources matching the filter expression SHALL be returned.',
  skipIf: filterSkip,
})

/** RFC 7643 §3.1 created, over the history (GETs, PUTs, refusals); SCIM-PUT-RULES 11: a moved created fails. */
export const createdFixed = sequenceCheck({
  rule: 'created-fixed',
  title: 'meta.created never moves over a user’s history',
  level: 'MUST',
  source: 'RFC 7643 §3.1',
  sentence: 'created: The "DateTime" that the resource was added to the service provider.',
})

/** RFC 7643 §3.1 lastModified; SCIM-PUT-RULES 11: earlier than before warns. */
export const lastModifiedMonotonic = sequenceCheck({
  rule: 'last-modified-monotonic',
  title: 'meta.lastModified never goes back over a user’s history',
  level: 'SHOULD',
  source: 'RFC 7643 §3.1',
  sentence:
    'lastModified: The most recent DateTime that the details of this resource were updated at the service ' +
    'provider: never earlier than a value already shown.',
})

/** RFC 9110 §8.8.3 and RFC 7643 §3.1 version; SCIM-PUT-RULES 11 and 17: the version changes with the content. */
export const versionNotReused = sequenceCheck({
  rule: 'version-not-reused',
  title: 'A version (ETag) is never shown again for a different state of the user',
  level: 'SHOULD',
  source: 'RFC 7644 §3.14; RFC 9110 §8.8.3',
  sentence:
    'An entity tag is an opaque validator for differentiating between multiple representations of the same ' +
    'resource: once the version moved on, an earlier version never names a different content.',
  skipIf: etagSkip,
})

/** RFC 9110 §13.1.1, RFC 7644 §3.14: a version from before the last two changes never passes If-Match. */
export const oldEtagRefused = sequenceCheck({
  rule: 'old-etag-refused',
  title: 'A PUT with an If-Match from before the last changes is refused with 412 (no lost update)',
  level: 'MUST',
  source: 'RFC 7644 §3.14; RFC 9110 §13.1.1',
  sentence:
    'If-Match: when the entity-tag does not match the current one, the origin server MUST NOT perform the ' +
    'requested method (412 Precondition Failed), however many versions ago it was issued.',
  skipIf: etagSkip,
})

export const SEQUENCE_CHECKS = [
  deletedStaysGone,
  refusedPutChangesNothing,
  getShowsLastWrite,
  usernameTaken,
  usernameFreed,
  filterCurrent,
  createdFixed,
  lastModifiedMonotonic,
  versionNotReused,
  oldEtagRefused,
]
