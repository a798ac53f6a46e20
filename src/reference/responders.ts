import { STATUS_CODES, type ServerResponse } from 'node:http'
import { ERROR_SCHEMA } from '../profile/vendor-profile.ts'
import type { ServerContext } from './context.ts'
import { type Answer, alter, type ErrorReason, type Exchange, type OutgoingResponse, type ScimType } from './hooks.ts'

export type { ScimType } from './hooks.ts'

/** The request being served and the response it gets (`res` is the server's own: hooks see the Exchange). */
export interface HttpExchange extends Exchange {
  readonly res: ServerResponse
}

/** Sends a response after the `response` hooks: its JSON body (or none) in its media type. */
function send(ctx: ServerContext, exchange: HttpExchange, response: OutgoingResponse): void {
  alter(ctx.hooks, (h) => h.response, { exchange, response })
  const { res } = exchange
  const text = response.body === undefined ? '' : JSON.stringify(response.body)
  res.statusCode = response.status
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value)
  if (response.body !== undefined) {
    res.setHeader('Content-Type', response.mediaType)
    res.setHeader('Content-Length', Buffer.byteLength(text))
  }
  res.end(text)
}

/** A success response in the vendor's declared success media type (Cube: application/scim+json); no body for 204. */
export function sendSuccess(
  ctx: ServerContext,
  exchange: HttpExchange,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  send(ctx, exchange, { status, headers: { ...headers }, body, mediaType: ctx.flavor.successMediaType })
}

/**
 * An error in the flavor's format, after the `error` hooks: the SCIM Error message (RFC 7644 §3.12, `status` a
 * string), or problem details (RFC 9457) where the vendor declares `application/problem+json`.
 */
export function sendError(
  ctx: ServerContext,
  exchange: HttpExchange,
  status: number,
  reason: ErrorReason,
  detail: string,
  scimType?: ScimType,
  headers: Record<string, string> = {},
): void {
  const error = { status, reason, detail, scimType, headers: { ...headers } }
  alter(ctx.hooks, (h) => h.error, { exchange, error })
  const { flavor } = ctx
  if (flavor.errorFormat === 'problem') {
    const title = STATUS_CODES[error.status] ?? 'Error'
    const problem = { type: 'about:blank', title, status: error.status, detail: error.detail }
    send(ctx, exchange, { ...bare(error), body: problem, mediaType: flavor.errorMediaType, error })
    return
  }
  const body: Record<string, unknown> = { schemas: [ERROR_SCHEMA], status: String(error.status) }
  if (error.scimType) body.scimType = error.scimType
  body.detail = error.detail
  send(ctx, exchange, { ...bare(error), body, mediaType: flavor.errorMediaType, error })
}

function bare(error: { status: number; headers: Record<string, string> }) {
  return { status: error.status, headers: error.headers }
}

/** Sends a hook's early answer as the server would send its own. */
export function sendAnswer(ctx: ServerContext, exchange: HttpExchange, answer: Answer): void {
  if (answer.error !== undefined)
    return sendError(
      ctx,
      exchange,
      answer.status,
      answer.reason ?? 'hook',
      answer.error,
      answer.scimType,
      answer.headers,
    )
  sendSuccess(ctx, exchange, answer.status, answer.body, answer.headers)
}
