import type { ReplaceCall, WriteCall } from '../../../src/reference/hooks.ts'
import type { AttributeDefinition } from '../../../src/scim/attribute.ts'
import { fault, isObj, type Obj } from './fault.ts'

/** One attribute of the next state: its definition, the value sent (if any), the old and the next value. */
interface Slot {
  definition: AttributeDefinition
  /** Whether the body carried the attribute, or cleared its extension with `null`. */
  sent: boolean
  value: unknown
  /** The attribute's extension was sent as `null` (its value counts as null). */
  cleared: boolean
  old: unknown
  next: unknown
}

/**
 * A fault of computing the next stored state of a PUT (RFC 7644 §3.5.1): `change` gets every top-level and
 * extension attribute of the flavor and returns its next value (undefined: unassigned).
 */
function replaces(change: (slot: Slot) => unknown): (call: WriteCall) => void {
  return (call) => {
    if (call.operation !== 'replace') return
    const { flavor } = call.exchange.server
    const { previous, input, next } = call
    for (const definition of flavor.attributes) {
      const { name } = definition
      const sent = { sent: input.values.has(name), value: input.values.get(name), cleared: false }
      assign(next.data, name, change({ definition, ...sent, old: previous.data[name], next: next.data[name] }))
    }
    for (const extension of flavor.extensions) {
      const sent = input.extensions.get(extension.urn)
      const cleared = sent?.cleared ?? false
      const old = (previous.data[extension.urn] ?? {}) as Obj
      const now = (next.data[extension.urn] ?? {}) as Obj
      const object: Obj = {}
      for (const definition of extension.schema.attributes) {
        const { name } = definition
        const value = cleared ? null : sent?.values.get(name)
        const slot = { definition, sent: cleared || (sent?.values.has(name) ?? false), value, cleared }
        assign(object, name, change({ ...slot, old: old[name], next: now[name] }))
      }
      assign(next.data, extension.urn, Object.keys(object).length > 0 ? object : undefined)
    }
  }
}

function assign(object: Obj, key: string, value: unknown): void {
  if (value === undefined) delete object[key]
  else object[key] = value
}

/** A fault that changes the server-managed parts of a replaced user. */
function replacing(change: (call: ReplaceCall) => void): (call: WriteCall) => void {
  return (call) => {
    if (call.operation === 'replace') change(call)
  }
}

/** Faults of storing a PUT: what the next state holds, whether it is saved, and what the response shows. */
export const STORAGE_FAULTS = {
  'null-not-clearing': fault('A null single-valued attribute leaves the old value in place.', () => ({
    // An extension sent as null keeps all its old values.
    write: replaces((s) => (s.cleared || (s.value === null && !s.definition.multiValued) ? s.old : s.next)),
  })),
  'empty-array-not-clearing': fault(
    'An empty array for a multi-valued attribute leaves the old values in place.',
    () => ({
      write: replaces((s) => (Array.isArray(s.value) && s.value.length === 0 ? s.old : s.next)),
    }),
  ),
  'id-from-body': fault('An `id` in the body replaces the resource id.', () => ({
    write: replacing(({ input, next }) => {
      const { id } = input.readOnly
      if (typeof id === 'string' && id !== '') next.id = id
    }),
  })),
  'meta-from-body': fault('`meta.created` from the body is stored.', () => ({
    write: replacing(({ input, next }) => {
      const { meta } = input.readOnly
      const created = isObj(meta) ? meta.created : undefined
      if (typeof created === 'string') next.created = created
    }),
  })),
  'created-changes': fault('`meta.created` is reset to now on every PUT.', () => ({
    // "Reset to now", but always a different instant, so that the fault is visible within the same millisecond.
    write: replacing(({ next }) => {
      next.created = new Date(Math.max(Date.now(), Date.parse(next.created) + 1)).toISOString()
    }),
  })),
  'frozen-last-modified': fault('`meta.lastModified` never changes after creation.', () => ({
    write: replacing(({ previous, next }) => {
      next.lastModified = previous.lastModified
    }),
  })),
  'frozen-version': fault('`meta.version` (and the ETag) never changes after creation.', () => ({
    write: replacing(({ previous, next }) => {
      next.version = previous.version
    }),
  })),
  'response-not-persisted': fault('The PUT response shows the new values but nothing is stored.', () => ({
    write: replacing((call) => {
      call.save = false
    }),
  })),
  'stale-response': fault('The PUT response shows the representation from before the PUT.', () => ({
    write: replacing((call) => {
      call.shown = call.previous
    }),
  })),
  'multi-valued-dropped': fault('`emails` (and other multi-valued attributes) are silently dropped by PUT.', () => ({
    write: replaces((s) => (s.definition.multiValued ? undefined : s.next)),
  })),
  'extension-dropped': fault('Extension-schema attributes are silently dropped by PUT.', () => ({
    write: replacing(({ exchange, next }) => {
      for (const extension of exchange.server.flavor.extensions) delete next.data[extension.urn]
    }),
  })),
  'active-ignored': fault('`active` in a PUT is ignored (the old value is kept).', () => ({
    write: replacing(({ previous, next }) => assign(next.data, 'active', previous.data.active)),
  })),
  'groups-from-body': fault("`groups` sent in a PUT body is stored as the user's memberships.", () => ({
    write: replacing(({ input, next }) => {
      if (Array.isArray(input.readOnly.groups)) next.groups = structuredClone(input.readOnly.groups)
    }),
  })),
  'omitted-retained': fault('Omitted attributes keep their old values (an RFC MAY, not a bug).', () => ({
    write: replaces((s) => (s.sent ? s.next : s.old)),
  })),
} as const
