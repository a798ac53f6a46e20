import type { AttributeDefinition } from '../scim/attribute.ts'
import { looksLikeEmail, type ServerConstraints } from './constraints.ts'
import type { Flavor } from './flavor.ts'
import type { UserInput } from './validate-user.ts'

type Obj = Record<string, unknown>

/**
 * The stored attribute values after a PUT (or, from `{}`, a POST): provided values replace,
 * `null`/`[]` clear, and omitted readWrite attributes are cleared (the RFC's first MAY). A constrained
 * server (`constraints.emailsFromUserName`) gives `emails` a default instead (the RFC's second MAY).
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.5.1
 */
export function replaceUserData(
  previous: Obj,
  input: UserInput,
  flavor: Flavor,
  constraints: ServerConstraints | null = null,
): Obj {
  const next: Obj = {}
  for (const definition of flavor.attributes) {
    const value = nextValue(definition, previous[definition.name], input.values)
    if (value !== undefined) next[definition.name] = value
  }
  if (
    constraints?.emailsFromUserName &&
    next.emails === undefined &&
    looksLikeEmail(next.userName) &&
    flavor.attributes.some(isEmailsAttribute)
  ) {
    next.emails = [{ value: next.userName, primary: true }]
  }

  for (const extension of flavor.extensions) {
    if (input.extensions.get(extension.urn)?.cleared) continue
    const old = (previous[extension.urn] ?? {}) as Obj
    const sent = input.extensions.get(extension.urn)?.values ?? new Map<string, unknown>()
    const object: Obj = {}
    for (const definition of extension.schema.attributes) {
      const value = nextValue(definition, old[definition.name], sent)
      if (value !== undefined) object[definition.name] = value
    }
    if (Object.keys(object).length > 0) next[extension.urn] = object
  }
  return next
}

/** RFC 7643's `emails`: multi-valued, complex, with `value` and `primary` (a vendor may type it otherwise). */
function isEmailsAttribute(definition: AttributeDefinition): boolean {
  const subs = definition.subAttributes ?? []
  return (
    definition.name === 'emails' &&
    definition.multiValued &&
    definition.type === 'complex' &&
    ['value', 'primary'].every((n) => subs.some((s) => s.name === n))
  )
}

/** One attribute's next value; `undefined` means unassigned. */
function nextValue(definition: AttributeDefinition, old: unknown, provided: Map<string, unknown>): unknown {
  if (!provided.has(definition.name)) {
    // A writeOnly password is never shown, so a PUT that omits it keeps it rather than silently clearing it.
    return definition.mutability === 'writeOnly' ? old : undefined
  }
  const value = provided.get(definition.name)
  if (value === null || (Array.isArray(value) && value.length === 0)) return undefined
  return value
}
