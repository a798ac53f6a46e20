import type { Exchange } from '../../http/exchange.ts'
import type { SendOptions } from '../../http/client.ts'
import type { CheckContext } from '../context.ts'
import { TransportError } from '../../errors.ts'

/** PUT a JSON body on a user, with the vendor's request media type unless told otherwise. */
export function putUser(
  ctx: CheckContext,
  id: string,
  body: unknown,
  extra: Partial<SendOptions> = {},
): Promise<Exchange> {
  return ctx.client.send({
    method: 'PUT',
    path: ctx.users.userPath(id),
    json: body,
    contentType: ctx.profile.requestMediaType,
    ...extra,
  })
}

/** PUT a raw (possibly malformed) body on a user. */
export function putRaw(
  ctx: CheckContext,
  id: string,
  body: string,
  contentType: string | null,
  extra: Partial<SendOptions> = {},
): Promise<Exchange> {
  return ctx.client.send({ method: 'PUT', path: ctx.users.userPath(id), rawBody: body, contentType, ...extra })
}

export function getUser(ctx: CheckContext, id: string): Promise<Exchange> {
  return ctx.client.send({ method: 'GET', path: ctx.users.userPath(id) })
}

export const statusOf = (exchange: Exchange): number | null => exchange.response?.status ?? null
export const is2xx = (exchange: Exchange): boolean => {
  const s = statusOf(exchange)
  return s !== null && s >= 200 && s < 300
}
export const is5xx = (exchange: Exchange): boolean => (statusOf(exchange) ?? 0) >= 500

/** The JSON object of a response, or null. */
export function bodyObject(exchange: Exchange): Record<string, unknown> | null {
  const body = exchange.response?.body
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null
}

/**
 * A transport failure (no response) is not evidence about any rule: the target stopped answering, and
 * the run ends with one harness error naming the exchange (exit 2), never a finding in every check.
 * Returns null when every exchange has its response; throws a TransportError otherwise.
 */
export function noResponse(exchanges: Exchange[]): null {
  const e = exchanges.find((x) => x.response === null)
  if (!e) return null
  const why = `${e.error?.code ?? 'error'}: ${e.error?.message ?? 'no response'}`
  throw new TransportError(`the target stopped answering: no response to ${e.request.method} ${e.request.url} (${why})`)
}

/** `400 invalidValue` style summary of a response, for messages. */
export function describeStatus(exchange: Exchange): string {
  if (!exchange.response) return `no response (${exchange.error?.code ?? 'error'})`
  const body = bodyObject(exchange)
  const scimType = body && typeof body.scimType === 'string' ? ` ${body.scimType}` : ''
  return `${exchange.response.status}${scimType}`
}

export function scimTypeOf(exchange: Exchange): string | null {
  const body = bodyObject(exchange)
  return body && typeof body.scimType === 'string' ? body.scimType : null
}
