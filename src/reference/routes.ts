import type { IncomingMessage, ServerResponse } from 'node:http'
import { bearerMatches } from './auth.ts'
import { readBody } from './body.ts'
import type { ServerContext } from './context.ts'
import { listResponse, resourceTypeResources, schemaResources, serviceProviderConfig } from './discovery.ts'
import { sendError, sendSuccess } from './responders.ts'
import { createUser, deleteUser, getUser, listUsers, replaceUser, type UsersRequest } from './users-routes.ts'

const DISCOVERY = ['ServiceProviderConfig', 'Schemas', 'ResourceTypes']

/**
 * Handles one request: reads the body (capped), authenticates before anything looks at the body,
 * then routes under the flavor's base path. Unknown paths answer 404, known paths with another
 * method 405 (PATCH on a User: 501, RFC 7644 Table 8), all with an error body.
 */
export async function handleRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req)
  if (body.kind === 'abandon') res.setHeader('Connection', 'close')

  if (ctx.token !== null && !ctx.faults.has('auth-ignored') && !bearerMatches(req.headers.authorization, ctx.token)) {
    const status = ctx.faults.has('auth-403') ? 403 : ctx.flavor.authFailureStatus
    // RFC 9110 §11.6.1 and RFC 7644 §2: a 401 names the authentication scheme (fault 'www-authenticate-missing': it does not).
    const headers: Record<string, string> =
      status === 401 && !ctx.faults.has('www-authenticate-missing') ? { 'WWW-Authenticate': 'Bearer realm="SCIM"' } : {}
    return sendError(
      ctx,
      res,
      status,
      'A valid bearer token is required in the Authorization header.',
      undefined,
      headers,
    )
  }

  const url = new URL(req.url ?? '/', 'http://reference.invalid')
  const base = ctx.flavor.basePath
  if (!url.pathname.startsWith(`${base}/`)) return sendError(ctx, res, 404, `No resource at ${url.pathname}.`)
  const segments = url.pathname
    .slice(base.length + 1)
    .replace(/\/$/, '')
    .split('/')
  let id: string | undefined
  try {
    id = segments[1] === undefined ? undefined : decodeURIComponent(segments[1])
  } catch {
    return sendError(ctx, res, 404, `No resource at ${url.pathname}.`)
  }
  const method = req.method ?? 'GET'
  const request: UsersRequest = { req, res, query: url.searchParams, body }
  const notAllowed = (allow: string) =>
    sendError(ctx, res, 405, `${method} is not supported on ${url.pathname}.`, undefined, { Allow: allow })

  if (segments.length > 2 || id === '') return sendError(ctx, res, 404, `No resource at ${url.pathname}.`)
  if (segments[0] === 'Users' && id === undefined) {
    if (method === 'GET') return listUsers(ctx, request)
    if (method === 'POST') return createUser(ctx, request)
    return notAllowed('GET, POST')
  }
  if (segments[0] === 'Users' && id !== undefined) {
    if (method === 'GET') return getUser(ctx, request, id)
    if (method === 'PUT') return replaceUser(ctx, request, id)
    if (method === 'DELETE') return deleteUser(ctx, request, id)
    if (method === 'PATCH') return sendError(ctx, res, 501, 'PATCH is not supported (see /ServiceProviderConfig).')
    return notAllowed('GET, PUT, DELETE')
  }
  if (DISCOVERY.includes(segments[0]) && !ctx.faults.has('no-discovery')) {
    if (method !== 'GET') return notAllowed('GET')
    return discovery(ctx, res, segments[0], id)
  }
  sendError(ctx, res, 404, `No resource at ${url.pathname}.`)
}

function discovery(ctx: ServerContext, res: ServerResponse, endpoint: string, id: string | undefined): void {
  if (endpoint === 'ServiceProviderConfig') {
    if (id !== undefined) return sendError(ctx, res, 404, `No resource at /ServiceProviderConfig/${id}.`)
    return sendSuccess(ctx, res, 200, serviceProviderConfig(ctx))
  }
  const resources = endpoint === 'Schemas' ? schemaResources(ctx) : resourceTypeResources(ctx)
  if (id === undefined) return sendSuccess(ctx, res, 200, listResponse(resources))
  const found = resources.find((r) => r.id === id)
  if (!found) return sendError(ctx, res, 404, `No ${endpoint} resource "${id}".`)
  sendSuccess(ctx, res, 200, found)
}
