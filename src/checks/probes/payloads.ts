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

/**
 * Valid payloads for one check. The userName prefix carries the run id and a hash of the check id, so
 * checks running at once never collide on userName (a collision would be a false uniqueness failure).
 */
export function validPayloads(
  ctx: CheckContext,
  checkId: string,
  constraints: ScimUserConstraints = {},
): fc.Arbitrary<ScimUserPayload> {
  const tag = mix(0, checkId).toString(36).slice(0, 5)
  return scimUser(ctx.profile, { userNamePrefix: `${testUserPrefix(ctx.run.runId)}${tag}-`, ...constraints })
}

/**
 * Valid payloads with every omittable attribute set (as far as the generator gives it a value), for
 * checks that then omit, null or filter attributes and need them set first.
 */
export function fullPayloads(ctx: CheckContext, checkId: string): fc.Arbitrary<ScimUserPayload> {
  const names = omittableAttributes(ctx.profile)
  const extras = fc.tuple(...names.map((name) => scimUserAttribute(ctx.profile, [name])))
  return fc.tuple(validPayloads(ctx, checkId), extras).map(([base, values]) => {
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
