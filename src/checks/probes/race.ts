import type { SendOptions } from '../../http/client.ts'
import type { Exchange } from '../../http/exchange.ts'
import { toCurl } from '../../http/to-curl.ts'
import type { CheckContext } from '../context.ts'
import { type Verdict, verdict, violation } from '../define-check.ts'
import type { AttributeDiff, Finding, Story, StoryStep } from '../types.ts'

/**
 * Races: requests fired at the same instant on separate connections, repeated, and judged attempt by
 * attempt. The run's client keeps `--concurrency` and `--rate` as hard limits, so requests fired together
 * may still be kept apart; `onProgress` tells, and an attempt whose requests were never in flight together
 * raced nothing (it is not judged).
 */

type Progress = NonNullable<SendOptions['onProgress']>

/** Requests fired at once, and whether they were in flight together. */
export interface Fired<T> {
  results: T[]
  /**
   * True when every request was written to its connection before the first answer started (the server had
   * them all in hand at once); false when a limit kept them apart; null when the client does not say.
   */
  together: boolean | null
}

/**
 * Starts every request in the same tick (each `start` is given the `onProgress` to put on its request) and
 * waits for all of them. With `pipelining: 1` each request in flight has a connection of its own.
 */
export async function fireTogether<T>(starts: ((onProgress: Progress) => Promise<T>)[]): Promise<Fired<T>> {
  const marks = starts.map(() => ({ sent: Number.NaN, answered: Number.NaN }))
  const results = await Promise.all(
    starts.map((start, i) =>
      start((event, at) => {
        // Only the first answer counts: the request's own start and end bound its time in flight.
        if (Number.isNaN(marks[i][event])) marks[i][event] = at
      }),
    ),
  )
  const told = marks.every((m) => !Number.isNaN(m.sent) && !Number.isNaN(m.answered))
  const together = told
    ? Math.max(...marks.map((m) => m.sent)) < Math.min(...marks.map((m) => m.answered))
    : marks.every((m) => Number.isNaN(m.sent))
      ? null
      : false
  return { results, together }
}

/** `(onProgress) => ctx.client.send({...options, onProgress})`: one racing request through the check's client. */
export function racing(ctx: CheckContext, options: SendOptions): (onProgress: Progress) => Promise<Exchange> {
  return (onProgress) => ctx.client.send({ ...options, onProgress })
}

/** One step of a race's story, before numbering: its exchange, and the words. */
export interface RaceStep {
  exchange: Exchange
  action: string
  expected: string
  received: string
  /** True for the requests fired at the same instant. */
  parallel?: boolean
}

/** What one attempt of a race concluded. */
export type Attempt =
  /** The rule was exercised and held; `how` says how the server settled the race (`200 + 409 uniqueness`). */
  | { outcome: 'held'; how: string; exchanges: Exchange[]; traits?: Record<string, string> }
  | {
      outcome: 'lost'
      finding: Finding
      steps: RaceStep[]
      diff?: AttributeDiff[]
      /** Ids of this attempt the replay script names too (e.g. `NEW`: the user a racing POST created). */
      ids?: Record<string, string>
      traits?: Record<string, string>
    }
  /** Not judged: `apart` when the requests were never in flight together; else refused for another reason. */
  | { outcome: 'untested'; why: string; exchanges: Exchange[]; apart?: boolean; traits?: Record<string, string> }
  /** The race cannot run on this target at all (e.g. the harness creates no users with --user-id). */
  | { outcome: 'skipped'; why: string }

/** How a race is repeated: how many attempts, and what it is called in messages and the replay script. */
export interface RaceOptions {
  /** Attempts, before the run's --runs bound. */
  attempts: number
  /** The race in a few words, e.g. `two PUTs giving two users one new userName`. */
  what: string
  /** Ids the replay script names as shell variables (`U1` → `$U1`): the run deletes its test users after it. */
  ids: Record<string, string>
}

/** How many times a race is run: the check's own count, never more than the run's --runs. */
export function attemptsOf(ctx: CheckContext, attempts: number): number {
  return Math.max(1, Math.min(attempts, ctx.run.runs))
}

/**
 * Runs a race `attempts` times (bounded by --runs) and folds the attempts: the first lost one is the
 * violation (with its story and replay script), `race.lost: k of n` counts the lost among the judged. An
 * attempt that met a 5xx is not judged here (put.status.no-5xx judges server errors; `race.not-judged`
 * counts them), nor one whose requests were never in flight together. Passes only when an attempt was judged.
 */
export async function repeatRace(
  ctx: CheckContext,
  options: RaceOptions,
  attempt: (index: number) => Promise<Attempt>,
): Promise<Verdict> {
  const total = attemptsOf(ctx, options.attempts)
  const traits: Record<string, string> = {}
  const answers = new Map<string, number>()
  let lost = 0
  let held = 0
  let apart = 0
  let serverErrors = 0
  let firstLost: { index: number; attempt: Attempt & { outcome: 'lost' } } | null = null
  let lastHeld: Exchange[] = []
  let firstUntested: string | null = null
  for (let i = 0; i < total; i++) {
    const a = await attempt(i)
    if (a.outcome === 'skipped') return verdict('skipped', a.why, [])
    Object.assign(traits, a.traits)
    const exchanges = a.outcome === 'lost' ? a.steps.map((s) => s.exchange) : a.exchanges
    const failed = exchanges.find((e) => (e.response?.status ?? 0) >= 500)
    if (failed) {
      serverErrors++
      firstUntested ??=
        `the server answered ${failed.response!.status} to ${describeRequest(ctx, failed)}` +
        ' (put.status.no-5xx judges server errors)'
    } else if (a.outcome === 'untested') {
      if (a.apart) apart++
      firstUntested ??= a.why
    } else if (a.outcome === 'held') {
      held++
      lastHeld = a.exchanges
      answers.set(a.how, (answers.get(a.how) ?? 0) + 1)
    } else {
      lost++
      firstLost ??= { index: i, attempt: a }
    }
  }
  const judged = held + lost
  if (judged > 0) traits['race.lost'] = `${lost} of ${judged}`
  if (answers.size > 0)
    traits['race.held'] = [...answers].map(([how, n]) => (n > 1 ? `${how} (${n}×)` : how)).join('; ')
  const refused = total - judged - apart - serverErrors
  if (judged < total)
    traits['race.not-judged'] = [
      apart > 0 ? `${apart} never in flight together (--concurrency, --rate)` : null,
      serverErrors > 0 ? `${serverErrors} met a 5xx (put.status.no-5xx judges those)` : null,
      refused > 0 ? `${refused} refused for another reason` : null,
    ]
      .filter(Boolean)
      .join('; ')
  if (firstLost) {
    const { index, attempt: a } = firstLost
    const story = storyOf(
      ctx,
      { ...options, ids: { ...options.ids, ...a.ids } },
      a.steps,
      `attempt ${index + 1} of ${total}`,
    )
    const exchanges = a.steps.map((s) => s.exchange)
    const finding = { ...a.finding, received: `${a.finding.received} (lost ${lost} of ${judged} races)` }
    return violation(finding, exchanges, { story, traits, diff: a.diff, focus: exchanges.length - 1 })
  }
  if (held > 0)
    return verdict(
      'passed',
      `${options.what}: raced ${judged} time${judged === 1 ? '' : 's'}, the rule held each time`,
      lastHeld,
      { traits },
    )
  return verdict('inconclusive', `no race of ${total} could be judged: ${firstUntested ?? 'none ran'}`, [], { traits })
}

/** `PUT /Users/{id}`: a request as the story names it (path only). */
export function describeRequest(ctx: CheckContext, e: Exchange): string {
  const usersPath = ctx.users.usersPath()
  const url = e.request.url
  const at = url.indexOf(usersPath)
  return `${e.request.method} ${at >= 0 ? url.slice(at) : url.replace(/^[a-z]+:\/\/[^/]+/i, '')}`
}

/**
 * The story of a lost race: numbered steps (the requests fired together share `parallel: 1`) and a bash
 * script that replays them: the racing `curl` commands in the background (`&`), then `wait`.
 */
export function storyOf(ctx: CheckContext, options: RaceOptions, steps: RaceStep[], which: string): Story {
  const numbered: StoryStep[] = steps.map((s, i) => ({
    n: i + 1,
    action: s.action,
    expected: s.expected,
    received: s.received,
    ...(s.parallel ? { parallel: 1 } : {}),
  }))
  return { steps: numbered, script: replayScript(ctx, options, steps, which) }
}

/** The collection every script names after `$SCIM_BASE`. */
const USERS = '/Users'

function replayScript(ctx: CheckContext, options: RaceOptions, steps: RaceStep[], which: string): string {
  const usersPath = ctx.users.usersPath()
  const variables = Object.entries(options.ids).map(([name, id]) => ({ name, id }))
  // $SCIM_BASE is the SCIM base URL, the part before /Users, as in every other script the harness writes.
  const base = (() => {
    const url = steps[0]?.exchange.request.url ?? ''
    const at = url.indexOf(usersPath)
    return at >= 0 ? url.slice(0, at + usersPath.length - USERS.length) : null
  })()
  const curl = (e: Exchange): string => {
    // -i: the status and headers of each answer, which is what a race is judged on.
    let line = toCurl(e.request).replace(/^curl -sS/, 'curl -sS -i')
    if (base !== null) line = line.split(`'${base}${USERS}`).join(`"$SCIM_BASE"'${USERS}`)
    for (const { name, id } of variables)
      line = line.split(`${USERS}/${encodeURIComponent(id)}`).join(`${USERS}/'"$${name}"'`)
    // Drop the empty '' left where a variable ended a quoted argument.
    return line.replace(/"''(?=\s|$)/g, '"')
  }
  const lines = [
    '#!/usr/bin/env bash',
    `# ${ctx.checkId}: ${options.what} (${which}).`,
    '# A race: it may take a few runs to lose it again. SCIM_BASE is the SCIM base URL (the part before /Users),',
    '# SCIM_TOKEN the token;',
    ...(variables.length > 0
      ? [`# ${variables.map((v) => `$${v.name}`).join(', ')}: ids of users you may modify (the run deleted its own).`]
      : []),
    'set -u',
    `: "\${SCIM_BASE:?set SCIM_BASE to the SCIM base URL}" "\${SCIM_TOKEN:?set SCIM_TOKEN}"`,
    ...variables.map((v) => `${v.name}="\${${v.name}:-${v.id.replace(/[^\w.:@-]/g, '')}}"`),
  ]
  for (let i = 0; i < steps.length; ) {
    if (steps[i].parallel) {
      const start = i
      while (i < steps.length && steps[i].parallel) i++
      lines.push(`# steps ${start + 1}-${i}: at the same instant`)
      for (const s of steps.slice(start, i)) lines.push(`${curl(s.exchange)} &`)
      lines.push('wait')
    } else {
      lines.push(`# step ${i + 1}`, curl(steps[i].exchange))
      i++
    }
    lines.push('echo')
  }
  return `${lines.join('\n')}\n`
}
