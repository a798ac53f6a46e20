import type { IncomingMessage, ServerResponse } from 'node:http'
import { bearerMatches } from './auth.ts'
import { type RequestBody, readBody } from './body.ts'
import type { ServerContext } from './context.ts'
import { listResponse, resourceTypeResources, schemaResources, serviceProviderConfig } from './discovery.ts'
import { decide, firstAnswer, type Route } from './hooks.ts'
import { type HttpExchange, sendAnswer, sendError, sendSuccess } from './responders.ts'
import { createUser, deleteUser, getUser, listUsers, replaceUser } from './users-routes.ts'

const DISCOVERY = new Set(['ServiceProviderConfig', 'Schemas', 'ResourceTypes'])

/**
 * Handles one request: reads the body (capped), authenticates before anything looks at the body,
 * then routes under the flavor's base path. Unknown paths answer 404, known paths with another
 * method 405 (PATCH on a User: 501, RFC 7644 Table 8), all with an error body.
 */
export async function handleRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req)
  if (body.kind === 'abandon') res.setHeader('Connection', 'close')
  const exchange = exchangeOf(ctx, req, res, body)

  const authenticated = ctx.token === null || bearerMatches(exchange.headers.authorization, ctx.token)
  if (!decide(ctx.hooks, (h) => h.authorize, { exchange, correct: authenticated })) {
    const status = ctx.flavor.authFailureStatus
    // RFC 9110 §11.6.1 and RFC 7644 §2: a 401 names the authentication scheme.
    const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Bearer realm="SCIM"' } : {}
    const detail = 'A valid bearer token is required in the Authorization header.'
    return sendError(ctx, exchange, status, 'unauthorized', detail, undefined, headers)
  }
  const answer = await firstAnswer(ctx.hooks, (h) => h.request, exchange)
  if (answer) return sendAnswer(ctx, exchange, answer)

  const { method, route, id, path } = exchange
  if (route === 'users') {
    if (method === 'GET') return listUsers(ctx, exchange)
    if (method === 'POST') return createUser(ctx, exchange)
    return notAllowed(ctx, exchange, 'GET, POST')
  }
  if (route === 'user' && id !== undefined) {
    if (method === 'GET') return getUser(ctx, exchange, id)
    if (method === 'PUT') return replaceUser(ctx, exchange, id)
    if (method === 'DELETE') return deleteUser(ctx, exchange, id)
    if (method === 'PATCH')
      return sendError(ctx, exchange, 501, 'not-implemented', 'PATCH is not supported (see /ServiceProviderConfig).')
    return notAllowed(ctx, exchange, 'GET, PUT, DELETE')
  }
  if (route === 'discovery') {
    if (method !== 'GET') return notAllowed(ctx, exchange, 'GET')
    return discovery(ctx, exchange, path.slice(ctx.flavor.basePath.length + 1).split('/')[0], id)
  }
  sendError(ctx, exchange, 404, 'not-found', `No resource at ${path}.`)
}

function notAllowed(ctx: ServerContext, exchange: HttpExchange, allow: string): void {
  const { method, path } = exchange
  sendError(ctx, exchange, 405, 'method-not-allowed', `${method} is not supported on ${path}.`, undefined, {
    Allow: allow,
  })
}

/** The exchange of a request: its route under the base path, and working copies of its headers and query. */
export function exchangeOf(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  body: RequestBody,
): HttpExchange {
  const url = new URL(req.url ?? '/', 'http://reference.invalid')
  const { route, id } = routeOf(url.pathname, ctx.flavor.basePath)
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    route,
    id,
    headers: { ...req.headers },
    query: url.searchParams,
    body,
    server: ctx,
    res,
  }
}

function routeOf(pathname: string, base: string): { route: Route; id: string | undefined } {
  const other = { route: 'other' as const, id: undefined }
  if (!pathname.startsWith(`${base}/`)) return other
  const rest = pathname.slice(base.length + 1)
  const segments = (rest.endsWith('/') ? rest.slice(0, -1) : rest).split('/')
  let id: string | undefined
  try {
    // Without a `%` there is nothing to decode (most ids): decodeURIComponent would return the segment as it is.
    id = segments[1] === undefined || !segments[1].includes('%') ? segments[1] : decodeURIComponent(segments[1])
  } catch {
    return other
  }
  if (segments.length > 2 || id === '') return other
  if (segments[0] === 'Users') return { route: id === undefined ? 'users' : 'user', id }
  if (DISCOVERY.has(segments[0])) return { route: 'discovery', id }
  return other
}

function discovery(ctx: ServerContext, exchange: HttpExchange, endpoint: string, id: string | undefined): void {
  if (endpoint === 'ServiceProviderConfig') {
    if (id !== undefined)
      return sendError(ctx, exchange, 404, 'not-found', `No resource at /ServiceProviderConfig/${id}.`)
    return sendSuccess(ctx, exchange, 200, serviceProviderConfig(ctx))
  }
  const resources = endpoint === 'Schemas' ? schemaResources(ctx) : resourceTypeResources(ctx)
  if (id === undefined) return sendSuccess(ctx, exchange, 200, listResponse(resources))
  const found = resources.find((r) => r.id === id)
  if (!found) return sendError(ctx, exchange, 404, 'not-found', `No ${endpoint} resource "${id}".`)
  sendSuccess(ctx, exchange, 200, found)
}
