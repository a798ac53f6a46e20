import { topLevelProperties, type VendorProfile } from './vendor-profile.ts'

type Body = Record<string, unknown>

/**
 * A user's accepted state as a PUT body: its representation as the server returned it, less the
 * readOnly attributes (`id`, `meta`, `groups`, and any the vendor's schema marks readOnly) that the
 * vendor's schema does not require (Maia requires `meta`). RFC 7644 §3.5.1: readOnly values a client
 * sends are ignored anyway. Probes and constraint experiments built on it change one thing only.
 */
export function acceptedState(profile: VendorProfile, representation: Body): Body {
  const readOnly = new Set(['id', 'meta', 'groups'])
  for (const [name, schema] of Object.entries(topLevelProperties(profile.requestSchema)))
    if (schema.readOnly === true) readOnly.add(name.toLowerCase())
  const required = new Set(profile.requiredFields.map((r) => r.toLowerCase()))
  const out: Body = {}
  for (const [name, value] of Object.entries(representation))
    if (!readOnly.has(name.toLowerCase()) || required.has(name.toLowerCase())) out[name] = structuredClone(value)
  return out
}
