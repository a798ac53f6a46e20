import type { AttributeDefinition } from '../scim/attribute.ts'
import { looksLikeEmail, type ServerConstraints } from './constraints.ts'
import type { Faults } from './faults.ts'
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
  faults: Faults,
  constraints: ServerConstraints | null = null,
): Obj {
  const next: Obj = {}
  for (const definition of flavor.attributes) {
    const value = nextValue(definition, previous[definition.name], input.values, faults)
    if (value !== undefined) next[definition.name] = value
  }
  const userName = input.values.get('userName')
  if (
    faults.has('missing-username-accepted') &&
    (typeof userName !== 'string' || userName.trim() === '') &&
    previous.userName !== undefined
  ) {
    next.userName = previous.userName
  }
  if (faults.has('active-ignored') && 'active' in previous) next.active = previous.active
  else if (faults.has('active-ignored')) delete next.active
  if (
    constraints?.emailsFromUserName &&
    next.emails === undefined &&
    looksLikeEmail(next.userName) &&
    flavor.attributes.some(isEmailsAttribute)
  ) {
    next.emails = [{ value: next.userName, primary: true }]
  }

  for (const extension of flavor.extensions) {
    if (faults.has('extension-dropped')) continue
    const old = (previous[extension.urn] ?? {}) as Obj
    const sent = input.extensions.get(extension.urn) ?? { cleared: false, values: new Map<string, unknown>() }
    const object: Obj = {}
    for (const definition of extension.schema.attributes) {
      const cleared = faults.has('null-not-clearing') ? old[definition.name] : undefined
      const value = sent.cleared ? cleared : nextValue(definition, old[definition.name], sent.values, faults)
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
function nextValue(
  definition: AttributeDefinition,
  old: unknown,
  provided: Map<string, unknown>,
  faults: Faults,
): unknown {
  if (definition.multiValued && faults.has('multi-valued-dropped')) return undefined
  if (!provided.has(definition.name)) {
    // A writeOnly password is never shown, so a PUT that omits it keeps it rather than silently clearing it.
    if (faults.has('omitted-retained') || definition.mutability === 'writeOnly') return old
    return undefined
  }
  const value = provided.get(definition.name)
  if (value === null) return faults.has('null-not-clearing') && !definition.multiValued ? old : undefined
  if (Array.isArray(value) && value.length === 0) return faults.has('empty-array-not-clearing') ? old : undefined
  return value
}
