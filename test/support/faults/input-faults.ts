import type { Flavor } from '../../../src/reference/flavor.ts'
import type { BodyCall, Exchange } from '../../../src/reference/hooks.ts'
import { type UserInput, validateUser } from '../../../src/reference/validate-user.ts'
import type { AttributeDefinition } from '../../../src/scim/attribute.ts'
import { mapStrings, walkBody } from './body-walk.ts'
import { fault, isObj, isPut, type Obj } from './fault.ts'

/** The input the server's own validator reads from a PUT body (no hooks), or undefined when it refuses it. */
function validInput(call: BodyCall, refuses?: (rule: string, path: string) => boolean): UserInput | undefined {
  const { server } = call.exchange
  const validation = validateUser(call.body, server.flavor, {
    operation: call.operation === 'replace' ? 'put' : 'post',
    constraints: server.constraints,
    refuses: refuses && (({ rule, path }) => refuses(rule, path)),
  })
  return validation.ok ? validation.input : undefined
}

/** A PUT's waivers: the refusal hook of a fault that lets PUT bodies break `rules`. */
const waivesOnPut =
  (...rules: string[]) =>
  () => ({
    refusal: ({ exchange, rule }: { exchange: Exchange; rule: string }) =>
      isPut(exchange) && rules.includes(rule) ? false : undefined,
  })

/** Faults of reading and validating a body, and of the uniqueness of userName. */
export const INPUT_FAULTS = {
  'malformed-json-500': fault('A body that is not JSON crashes the handler (500).', () => ({
    error: ({ exchange, error }) => {
      if (isPut(exchange) && error.reason === 'unparsable')
        Object.assign(error, { status: 500, detail: 'Internal server error.', scimType: undefined })
    },
  })),
  'missing-username-accepted': fault('A PUT without userName succeeds and keeps the old userName.', () => ({
    ...waivesOnPut('userName')(),
    write: (call) => {
      if (call.operation !== 'replace' || call.previous.data.userName === undefined) return
      const userName = call.input.values.get('userName')
      if (typeof userName !== 'string' || userName.trim() === '') call.next.data.userName = call.previous.data.userName
    },
  })),
  'username-cleared': fault(
    'A PUT without a usable userName (missing, "" or null) succeeds and stores the user without one.',
    waivesOnPut('userName'),
  ),
  'username-immutable': fault(
    'A PUT that changes userName is refused with 400 mutability, although /Schemas declares userName readWrite.',
    () => ({
      // Judged on the validated body, as the server reads it: a body it refuses anyway is left to it.
      body: (call) => {
        const userName = validInput(call)?.values.get('userName')
        if (!isPut(call.exchange) || !call.target || typeof userName !== 'string') return undefined
        if (userName === call.target.data.userName) return undefined
        return { status: 400, error: 'userName cannot be changed.', scimType: 'mutability', reason: 'invalid' }
      },
    }),
  ),
  'wrong-types-coerced': fault(
    'Wrong JSON types are coerced (e.g. "active": "false" stored as false) instead of 400.',
    () => {
      // Complex values coerced to {} are taken as they are: their required sub-attributes are not asked for.
      const emptied = new WeakMap<Exchange, Set<string>>()
      return {
        body: (call) => {
          const paths = new Set<string>()
          emptied.set(call.exchange, paths)
          call.body = coerceBody(call.body, call.exchange.server.flavor, paths)
          return undefined
        },
        refusal: ({ exchange, rule, path }) => {
          const paths = emptied.get(exchange)
          if (rule !== 'required' || !paths) return undefined
          return [...paths].some((p) => path.startsWith(`${p}.`)) ? false : undefined
        },
      }
    },
  ),
  'duplicate-username-accepted': fault(
    "Another user's userName is accepted and stored (no uniqueness check on PUT).",
    () => ({ uniqueness: ({ exchange }) => (isPut(exchange) ? false : undefined) }),
  ),
  'duplicate-username-500': fault(
    "Another user's userName crashes the handler (500, e.g. a database constraint error).",
    () => ({
      error: ({ exchange, error }) => {
        if (isPut(exchange) && error.reason === 'uniqueness')
          Object.assign(error, { status: 500, detail: 'Internal server error.', scimType: undefined })
      },
    }),
  ),
  'case-variant-duplicate-accepted': fault(
    'userName uniqueness is checked case-sensitively, so a case variant is stored.',
    () => ({ uniqueness: ({ userName, other }) => other.data.userName === userName }),
  ),
  'case-sensitive-attribute-names': fault(
    'Attribute names are matched case-sensitively (`UserName` is not `userName`).',
    () => ({
      body: (call) => {
        call.body = withoutCaseVariants(call.body, call.exchange.server.flavor)
        return undefined
      },
    }),
  ),
  'unicode-mangled': fault('Non-ASCII characters are replaced by "?" when stored.', () => ({
    body: (call) => {
      call.body = mapStrings(call.body, call.exchange.server.flavor, (s) => s.replace(/[^\x00-\x7F]/gu, '?'))
      return undefined
    },
  })),
  'long-strings-truncated': fault('String values are truncated to 255 characters when stored.', () => ({
    body: (call) => {
      call.body = mapStrings(call.body, call.exchange.server.flavor, (s) => (s.length > 255 ? s.slice(0, 255) : s))
      return undefined
    },
  })),
  'trim-strings': fault('White space at the ends of every stored string is trimmed.', () => ({
    // SCIM-PUT-RULES 4: a stored value must be the one sent.
    body: (call) => {
      call.body = mapStrings(call.body, call.exchange.server.flavor, (s) => s.trim())
      return undefined
    },
  })),
  'two-primaries-stored': fault('Two `primary: true` values in a multi-valued attribute are stored as sent.', () => ({
    refusal: ({ rule }) => (rule === 'primary' ? false : undefined),
  })),
  'schemas-not-validated': fault('A PUT without `schemas` (or without the core URN) succeeds.', waivesOnPut('schemas')),
  'schemas-echoed': fault(
    "A PUT's `schemas` is not validated and its response lists exactly the `schemas` sent (none, [], or no core URN).",
    () => ({
      ...waivesOnPut('schemas')(),
      response: ({ exchange, response }) => {
        if (!isPut(exchange) || response.status !== 200 || !isObj(response.body) || exchange.body.kind !== 'ok') return
        const sent = (JSON.parse(exchange.body.text.replace(/^\uFEFF/, '')) as Obj).schemas
        if (sent === undefined) delete response.body.schemas
        else response.body.schemas = sent
      },
    }),
  ),
  'unknown-attribute-500': fault('An unknown attribute crashes the handler (500).', () => ({
    // Where the server would have read the body through (before userName and the vendor's required fields).
    body: (call) => {
      if (!isPut(call.exchange)) return undefined
      const { requiredFields } = call.exchange.server.flavor
      const early = (rule: string, path: string) =>
        !(rule === 'userName' || (rule === 'required' && requiredFields.includes(path)))
      const unknown = validInput(call, early)?.unknown ?? []
      if (unknown.length === 0) return undefined
      return { status: 500, error: `Internal error while processing attribute "${unknown[0]}".`, reason: 'internal' }
    },
  })),
  'null-refused': fault(
    'A PUT carrying `null` for an attribute (top level, sub-attribute or extension), or `[]` for a multi-valued ' +
      'one, is refused with 400 invalidValue, although RFC 7644 §3.5.1 lets the client send them.',
    () => ({
      value: ({ exchange, path, value }) => {
        if (!isPut(exchange)) return undefined
        if (value === null) return `"${path}" must not be null: send a value or leave the attribute out.`
        if (Array.isArray(value) && value.length === 0)
          return `"${path}" must not be an empty array: send a value or leave the attribute out.`
        return undefined
      },
    }),
  ),
} as const

/** The body without the keys that name an attribute in another case: case-sensitive matching ignores them. */
function withoutCaseVariants(body: unknown, flavor: Flavor): unknown {
  const exact = (object: unknown, names: string[]): unknown => {
    if (!isObj(object)) return object
    const out: Obj = {}
    for (const [key, value] of Object.entries(object)) {
      if (!names.some((n) => n !== key && n.toLowerCase() === key.toLowerCase())) out[key] = value
    }
    return out
  }
  const subNames = (d: AttributeDefinition) => (d.subAttributes ?? []).map((s) => s.name)
  const top = ['schemas', 'id', 'meta', 'groups', ...flavor.extensions.map((e) => e.urn)]
  const walked = walkBody(exact(body, [...top, ...flavor.attributes.map((a) => a.name)]), flavor, {
    matches: (key, name) => key === name,
    extension: (value, urn) =>
      exact(value, flavor.extensions.find((e) => e.urn === urn)?.schema.attributes.map((a) => a.name) ?? []),
    value: ({ definition, value }) => (definition.type === 'complex' ? exact(value, subNames(definition)) : value),
  })
  return walked
}

/** The body with every wrong JSON type coerced to the attribute's type; `emptied` collects complex values made {}. */
function coerceBody(body: unknown, flavor: Flavor, emptied: Set<string>): unknown {
  return walkBody(body, flavor, {
    extension: (value) => (value === null || isObj(value) ? value : null),
    attribute: ({ definition, value }) => coerceShape(definition, value),
    value: ({ definition, value, path }) => {
      const coerced = coercePrimitive(definition, value)
      if (definition.type !== 'complex' || isObj(coerced)) return coerced
      emptied.add(path)
      return {}
    },
  })
}

/** Wraps or unwraps arrays instead of rejecting them. */
function coerceShape(definition: AttributeDefinition, value: unknown): unknown {
  if (value === null) return null
  if (definition.multiValued && !Array.isArray(value)) return [value]
  if (!definition.multiValued && Array.isArray(value)) return value.length === 0 ? null : value[0]
  if (definition.multiValued && Array.isArray(value)) return value.filter((v) => v !== null)
  return value
}

/** Turns any primitive into the attribute's type instead of rejecting it. */
function coercePrimitive(definition: AttributeDefinition, value: unknown): unknown {
  switch (definition.type) {
    case 'boolean':
      if (typeof value === 'string') return value.trim().toLowerCase() === 'true'
      if (typeof value === 'number') return value !== 0
      return typeof value === 'boolean' ? value : Boolean(value)
    case 'integer':
    case 'decimal': {
      const n = Number(value)
      return Number.isFinite(n) ? (definition.type === 'integer' ? Math.trunc(n) : n) : 0
    }
    case 'complex':
      return value
    default:
      if (typeof value === 'string') return value
      if (typeof value === 'number' || typeof value === 'boolean') return String(value)
      try {
        return JSON.stringify(value) ?? ''
      } catch {
        return '' // too deeply nested to serialise
      }
  }
}
