import type { Exchange } from '../../http/exchange.ts'
import { acceptedState } from '../../profile/accepted-state.ts'
import type { CheckContext, CheckUsers } from '../context.ts'
import { verdict, type Verdict } from '../define-check.ts'
import { type Control, describeRefusal, sendControl } from './attribution.ts'
import { putUser } from './requests.ts'

type Body = Record<string, unknown>

/** A test user's accepted state (its representation on creation, as a PUT body): see {@link acceptedState}. */
export function ownState(ctx: CheckContext, users: CheckUsers, index = 0): Body {
  return acceptedState(ctx.profile, users.created[index] ?? {})
}

/** One control per check's users and user index: the test user's accepted state PUT back. */
const controls = new WeakMap<CheckUsers, Map<number, Promise<Control>>>()

/**
 * Is the test user's own accepted state, PUT back, accepted? Sent once per check (its answer does not
 * depend on the case) the first time a case needs it: a check that never meets a refusal never sends it.
 */
export function ownStateControl(ctx: CheckContext, users: CheckUsers, index = 0): Promise<Control> {
  let byIndex = controls.get(users)
  if (!byIndex) controls.set(users, (byIndex = new Map()))
  let control = byIndex.get(index)
  if (!control) {
    control = sendControl(() => putUser(ctx, users.ids[index], ownState(ctx, users, index)))
    byIndex.set(index, control)
  }
  return control
}

/**
 * The verdict of a case whose probe was refused while the test user's own accepted state was refused
 * too: the server refuses even what it stored, so the refusal says nothing of this rule. `what` names
 * the refused probe.
 */
export function ownStateRefused(what: string, refused: Exchange, control: Exchange, exchanges: Exchange[]): Verdict {
  return verdict(
    'inconclusive',
    `${what} answered ${describeRefusal(refused)}, and the test user's own accepted state PUT back was refused too ` +
      `(${describeRefusal(control)}): a constraint of the server's own, not this rule ` +
      '(put.replace.whole-body-echo judges a refused echo)',
    [...exchanges, control],
    { traits: { 'constraint.own-state': describeRefusal(control) } },
  )
}
