import { getAttr, isObject, isUnassigned } from '../compare.ts'
import type { CheckContext } from '../context.ts'
import { defineCheck, verdict, violation } from '../define-check.ts'
import { refusedValidPut } from '../probes/attribution.ts'
import { validPayloads } from '../probes/payloads.ts'
import { requestProperties } from '../probes/slots.ts'
import { bodyObject, getUser, is2xx, noResponse, putUser, statusOf } from '../probes/requests.ts'

/** The attribute paths (lower-cased, `name.sub` for sub-attributes) the server's /Schemas declares returned "never". */
function declaredNever(ctx: CheckContext): string[] {
  return [...(ctx.discovery.declared ?? new Map()).entries()]
    .filter(([, definition]) => definition.returned === 'never')
    .map(([path]) => path)
}

/** Those of them the vendor's request documents (at the top level), so that a payload can carry a value to withhold. */
function sendableNever(ctx: CheckContext): string[] {
  const documented = new Set(Object.keys(requestProperties(ctx.profile)).map((k) => k.toLowerCase()))
  return declaredNever(ctx).filter((path) => {
    const { urn, segments } = splitPath(path)
    return documented.has(urn ? urn.slice(0, -1) : segments[0])
  })
}

/** A declared path split into its extension URN (with its colon, or '') and the attribute path after it. */
function splitPath(path: string): { urn: string; segments: string[] } {
  const colon = path.lastIndexOf(':')
  return { urn: path.slice(0, colon + 1), segments: path.slice(colon + 1).split('.') }
}

/** The value at a declared path (`password`, `name.givenname`, `<urn>:employeenumber`), any case, through items. */
function valueAt(resource: unknown, path: string): unknown {
  const { urn, segments } = splitPath(path)
  const walk = (value: unknown, rest: string[]): unknown => {
    if (rest.length === 0 || isUnassigned(value)) return value
    const items = Array.isArray(value) ? value : [value]
    return items
      .filter(isObject)
      .map((item) => walk(getAttr(item, rest[0]), rest.slice(1)))
      .find((v) => !isUnassigned(v))
  }
  return walk(urn ? getAttr(resource, urn.slice(0, -1)) : resource, segments)
}

/** A declared path as the server spells it (`name.givenName`). */
function spelled(ctx: CheckContext, path: string): string {
  const { urn, segments } = splitPath(path)
  const names = segments.map(
    (segment, i) => ctx.discovery.declared?.get(`${urn}${segments.slice(0, i + 1).join('.')}`)?.name ?? segment,
  )
  return `${urn}${names.join('.')}`
}

/**
 * A server that declares `returned: "never"` for an attribute (RFC 7643 §7) and then returns it
 * contradicts its own /Schemas.
 */
export const returnedNever = defineCheck({
  id: 'put.declared.returned-never',
  title: 'Attributes the server declares returned "never" are not in PUT or GET responses',
  level: 'MUST',
  source: 'RFC 7643 §7 (server /Schemas)',
  area: 'declared',
  rule: 'returned "never": The attribute is never returned.',
  users: 1,
  maxRuns: 10,
  skipIf: (ctx) =>
    !ctx.discovery.declared
      ? 'the server publishes no /Schemas declaration'
      : declaredNever(ctx).length === 0
        ? 'the server declares no attribute returned "never"'
        : sendableNever(ctx).length === 0
          ? `the vendor's request documents none of the attributes the server declares returned "never" ` +
            `(${declaredNever(ctx).join(', ')}), so no PUT can carry one`
          : null,
  cases: (ctx) => validPayloads(ctx, { password: 'always' }),
  async run(ctx, users, body) {
    const put = await putUser(ctx, users.ids[0], body)
    const get = await getUser(ctx, users.ids[0])
    noResponse([put, get])
    const never = declaredNever(ctx)
    for (const e of [put, get]) {
      const shown = never.filter((path) => !isUnassigned(valueAt(bodyObject(e), path)))
      if (shown.length > 0)
        return violation(
          {
            received: `${shown.map((path) => spelled(ctx, path)).join(', ')} in the ${e.request.method} response`,
            expected: 'never returned, as the server\'s own /Schemas declares (returned "never", RFC 7643 §7)',
            fix: 'Leave attributes declared returned "never" out of every response.',
          },
          [put, get],
          { focus: e === put ? 0 : 1 },
        )
    }
    if (!is2xx(put)) return refusedValidPut(put, [put, get])
    const sent = never.filter((path) => !isUnassigned(valueAt(body, path)))
    if (sent.length === 0)
      return verdict(
        'inconclusive',
        `the payload carried no value of an attribute the server declares returned "never" (${never.join(', ')}), ` +
          'so there was nothing to withhold',
        [put, get],
      )
    if (statusOf(get) !== 200)
      return verdict(
        'passed',
        `${sent.map((path) => spelled(ctx, path)).join(', ')} not in the PUT response ` +
          `(the GET answered ${statusOf(get)})`,
        [put, get],
      )
    return verdict(
      'passed',
      `${sent.map((path) => spelled(ctx, path)).join(', ')} sent, and returned by neither the PUT response nor a GET`,
      [put, get],
    )
  },
})

export const DECLARED_CHECKS = [returnedNever]
