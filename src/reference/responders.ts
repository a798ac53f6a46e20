import { STATUS_CODES, type ServerResponse } from 'node:http'
import { ERROR_SCHEMA } from '../profile/vendor-profile.ts'
import type { ServerContext } from './context.ts'

/** RFC 7644 §3.12 Table 9 keywords the server uses. */
export type ScimType = 'invalidSyntax' | 'invalidValue' | 'uniqueness' | 'invalidFilter' | 'mutability' | 'noTarget'

/** Sends a JSON body (or none) with the given media type; fault 'wrong-content-type' overrides it. */
export function sendJson(
  ctx: ServerContext,
  res: ServerResponse,
  status: number,
  body: unknown,
  mediaType: string,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.statusCode = status
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  if (body !== undefined) {
    res.setHeader('Content-Type', ctx.faults.has('wrong-content-type') ? 'text/html; charset=utf-8' : mediaType)
    res.setHeader('Content-Length', Buffer.byteLength(text))
  }
  res.end(text)
}

/** A success response in the vendor's declared success media type (Cube: application/scim+json). */
export function sendSuccess(
  ctx: ServerContext,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const mediaType = ctx.faults.has('responses-scim-json') ? 'application/scim+json' : ctx.flavor.successMediaType
  sendJson(ctx, res, status, body, mediaType, headers)
}

/**
 * An error in the flavor's format: the SCIM Error message (RFC 7644 §3.12, `status` a string),
 * or problem details (RFC 9457) where the vendor declares `application/problem+json`.
 */
export function sendError(
  ctx: ServerContext,
  res: ServerResponse,
  code: number,
  message: string,
  scimType?: ScimType,
  headers: Record<string, string> = {},
): void {
  const { faults, flavor } = ctx
  const status = code === 400 && faults.has('validation-422') ? 422 : code
  // Fault 'stack-trace-in-detail': the handler's stack (this frame down, with its file paths) leaks into the message.
  const detail = faults.has('stack-trace-in-detail')
    ? `${message}\n${new Error(message).stack?.split('\n').slice(1).join('\n')}`
    : message
  if (faults.has('non-scim-error-bodies')) {
    sendJson(ctx, res, status, { error: detail }, 'application/json', headers)
    return
  }
  if (flavor.errorFormat === 'problem') {
    const problem = { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail }
    sendJson(ctx, res, status, problem, flavor.errorMediaType, headers)
    return
  }
  const body: Record<string, unknown> = {
    schemas: [ERROR_SCHEMA],
    status: faults.has('numeric-error-status') ? status : String(status),
  }
  if (scimType) body.scimType = scimType
  body.detail = detail
  sendJson(
    ctx,
    res,
    status,
    body,
    faults.has('responses-scim-json') ? 'application/scim+json' : flavor.errorMediaType,
    headers,
  )
}
