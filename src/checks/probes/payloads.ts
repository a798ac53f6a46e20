import fc from 'fast-check'
import {
  omittableAttributes,
  scimUser,
  scimUserAttribute,
  type ScimUserConstraints,
  type ScimUserPayload,
} from '../../generate/scim-user.ts'
import { CORE_USER_SCHEMA } from '../../profile/vendor-profile.ts'
import { isUnassigned } from '../compare.ts'
import type { CheckContext } from '../context.ts'
import { mix } from '../../generate/mix-seed.ts'
import { testUserPrefix } from '../context.ts'

/** Fewest unique characters a userName keeps (as the generator has it): a learned cap is at least prefix + this. */
const MIN_UNIQUE = 4

/**
 * The generator's options that keep payloads within what the server was seen to accept
 * (`ctx.constraints`): `{}` when nothing was learned, so the payloads are those of an unconstrained run.
 * A length cap never goes below what a userName with `prefix` needs: the test users' own userNames,
 * longer still, were accepted.
 */
export function learnedConstraints(ctx: CheckContext, prefix = ''): ScimUserConstraints {
  const c = ctx.constraints
  const out: ScimUserConstraints = {}
  if (c.maxLength !== null) out.maxLength = Math.max(c.maxLength, Array.from(prefix).length + MIN_UNIQUE)
  if (c.oneValuePerType) out.oneValuePerType = true
  if (c.noEmptyItems) out.noEmptyItems = true
  return out
}

/** `given` over `learned`, except that the shorter of two length caps wins. */
function within(learned: ScimUserConstraints, given: ScimUserConstraints): ScimUserConstraints {
  const out = { ...learned, ...given }
  if (learned.maxLength !== undefined && given.maxLength !== undefined)
    out.maxLength = Math.min(learned.maxLength, given.maxLength)
  return out
}

/**
 * Valid payloads for the check in progress (`ctx.checkId`, set by the runner), within the server's
 * learned constraints. The userName prefix carries the run id and a hash of the check id, so checks
 * running at once never collide on userName (a collision would be a false uniqueness failure).
 */
export function validPayloads(ctx: CheckContext, constraints: ScimUserConstraints = {}): fc.Arbitrary<ScimUserPayload> {
  const tag = mix(0, ctx.checkId).toString(36).slice(0, 5)
  const userNamePrefix = `${testUserPrefix(ctx.run.runId)}${tag}-`
  return scimUser(ctx.profile, within(learnedConstraints(ctx, userNamePrefix), { userNamePrefix, ...constraints }))
}

/**
 * Valid payloads with every omittable attribute set (as far as the generator gives it a value), for
 * checks that then omit, null or filter attributes and need them set first; within the server's
 * learned constraints.
 */
export function fullPayloads(ctx: CheckContext): fc.Arbitrary<ScimUserPayload> {
  const names = omittableAttributes(ctx.profile)
  const learned = learnedConstraints(ctx)
  const extras = fc.tuple(...names.map((name) => scimUserAttribute(ctx.profile, [name], learned)))
  return fc.tuple(validPayloads(ctx), extras).map(([base, values]) => {
    const out: ScimUserPayload = { ...base }
    names.forEach((name, i) => {
      if (isUnassigned(out[name])) out[name] = values[i]
    })
    const schemas = Array.isArray(out.schemas) ? [...(out.schemas as unknown[])] : [CORE_USER_SCHEMA]
    for (const name of names)
      if (/^urn:/i.test(name) && !isUnassigned(out[name]) && !schemas.includes(name)) schemas.push(name)
    out.schemas = schemas
    return out
  })
}
