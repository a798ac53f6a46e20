import { requestProperties } from './slots.ts'
import type { CheckContext } from '../context.ts'

/** RFC 7643 §3.1 common attributes: they belong to no schema, so a server's /Schemas need not list them. */
const COMMON = new Set(['schemas', 'id', 'externalid', 'meta'])

/**
 * Whether the server's /Schemas declares a top-level User attribute (or, for an extension URN, any
 * attribute of that extension). True when the server publishes no /Schemas: then the RFC's User is assumed.
 * An attribute the server does not declare is, for that server, an unknown attribute: RFC 7644 is
 * silent on those in a PUT (ignoring them or answering 400 is observed), so no check may require it to be stored.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-7
 */
export function serverDeclares(ctx: CheckContext, name: string): boolean {
  const declared = ctx.discovery.declared
  const key = name.toLowerCase()
  if (!declared || COMMON.has(key)) return true
  if (!/^urn:/.test(key)) return declared.has(key)
  for (const path of declared.keys()) if (path.startsWith(`${key}:`)) return true
  return false
}

/**
 * Top-level attributes the server declares (in /Schemas) with a characteristic, limited to those the vendor's
 * request documents.
 */
export function declaredWith(ctx: CheckContext, test: (name: string) => boolean): string[] {
  if (!ctx.discovery.declared) return []
  return Object.keys(requestProperties(ctx.profile)).filter(
    (name) => ctx.discovery.declared!.has(name.toLowerCase()) && test(name),
  )
}
