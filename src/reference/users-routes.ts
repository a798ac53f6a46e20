import type { IncomingMessage, ServerResponse } from 'node:http'
import { projectResource } from './attributes-param.ts'
import { isScimRequestMedia, type RequestBody } from './body.ts'
import type { ServerContext } from './context.ts'
import { listResponse } from './discovery.ts'
import { ifMatchSatisfied } from './etag.ts'
import type { Faults } from './faults.ts'
import { pageOf, parseFilter } from './list-users.ts'
import { replaceUserData } from './replace-user.ts'
import { toResource, versionOf } from './representation.ts'
import { sendError, sendSuccess } from './responders.ts'
import { nextTimestamp, type StoredUser } from './store.ts'
import { type UserInput, validateUser } from './validate-user.ts'

/** Everything a Users handler gets from the router. */
export interface UsersRequest {
  req: IncomingMessage
  res: ServerResponse
  query: URLSearchParams
  body: RequestBody
}

const NO_FAULTS: Faults = new Set()

/** The resource a response shows, after `attributes`/`excludedAttributes` and the response faults. */
function shownResource(
  ctx: ServerContext,
  user: StoredUser,
  query: URLSearchParams,
  applyParams = true,
): Record<string, unknown> {
  const resource = toResource(user, ctx.flavor, ctx.baseUrl, ctx.faults)
  const projected = applyParams ? projectResource(resource, query, ctx.flavor) : resource
  if (ctx.faults.has('schemas-missing-in-response')) delete projected.schemas
  return projected
}

function etagHeader(ctx: ServerContext, user: StoredUser): Record<string, string> {
  if (!ctx.etag || ctx.faults.has('etag-header-missing')) return {}
  // Fault 'etag-not-version': the header is built from the counter on its own, without meta.version's W/ prefix.
  return { ETag: ctx.faults.has('etag-not-version') ? `"${user.version}"` : versionOf(user) }
}

/** Headers of a response that carries one user: its ETag, and (fault 'content-location-collection') a Content-Location. */
function representationHeaders(ctx: ServerContext, user: StoredUser): Record<string, string> {
  // The fault names the collection the request went through, not the resource, so it contradicts meta.location.
  return {
    ...etagHeader(ctx, user),
    ...(ctx.faults.has('content-location-collection') ? { 'Content-Location': `${ctx.flavor.basePath}/Users` } : {}),
  }
}

/** The stored representation of every user, as a fault-free GET shows it (for tests). */
export function storedUsers(ctx: ServerContext): Record<string, unknown>[] {
  return ctx.store.all().map((user) => toResource(user, ctx.flavor, ctx.baseUrl, NO_FAULTS))
}

/** GET /Users/{id} (RFC 7644 §3.4.1). */
export function getUser(ctx: ServerContext, { res, query }: UsersRequest, id: string): void {
  const user = ctx.store.get(id)
  if (!user) return sendError(ctx, res, 404, `User ${id} not found.`)
  sendSuccess(ctx, res, 200, shownResource(ctx, user, query), representationHeaders(ctx, user))
}

/** GET /Users with `filter`, `startIndex`, `count` (RFC 7644 §3.4.2). */
export function listUsers(ctx: ServerContext, { res, query }: UsersRequest): void {
  const filterText = query.get('filter')
  let users = ctx.store.all()
  if (filterText !== null && filterText.trim() !== '') {
    const filter = parseFilter(filterText, ctx.flavor)
    if (typeof filter === 'string') return sendError(ctx, res, 400, filter, 'invalidFilter')
    users = users.filter(filter)
  }
  const { startIndex, count } = pageOf(query)
  const page = users.slice(startIndex - 1, startIndex - 1 + count)
  sendSuccess(
    ctx,
    res,
    200,
    listResponse(
      page.map((u) => shownResource(ctx, u, query)),
      users.length,
      startIndex,
    ),
  )
}

/** DELETE /Users/{id} (RFC 7644 §3.6): 204, honouring If-Match when ETags are on. */
export function deleteUser(ctx: ServerContext, { req, res }: UsersRequest, id: string): void {
  const user = ctx.store.get(id)
  if (!user) return sendError(ctx, res, 404, `User ${id} not found.`)
  const ifMatch = req.headers['if-match']
  if (ctx.etag && ifMatch !== undefined && !ifMatchSatisfied(ifMatch, versionOf(user))) {
    return sendError(ctx, res, 412, `If-Match ${ifMatch} does not match the current version ${versionOf(user)}.`)
  }
  ctx.store.delete(id)
  res.statusCode = 204
  res.end()
}

/** POST /Users (RFC 7644 §3.3): the PUT validation without the vendor-only required fields; 201 + Location. */
export function createUser(ctx: ServerContext, request: UsersRequest): void {
  const { res, query } = request
  const input = parsedInput(ctx, request, 'post')
  if (!input) return
  if (rejectDuplicate(ctx, res, input, undefined, 'post')) return
  const data = replaceUserData({}, input, ctx.flavor, NO_FAULTS, ctx.constraints)
  const user = ctx.store.create(data, Date.now())
  const location = toResource(user, ctx.flavor, ctx.baseUrl, NO_FAULTS).meta as { location: string }
  sendSuccess(ctx, res, 201, shownResource(ctx, user, query), { Location: location.location, ...etagHeader(ctx, user) })
}

/**
 * PUT /Users/{id}: replaces the user's attributes with the body's.
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.5.1
 */
export function replaceUser(ctx: ServerContext, request: UsersRequest, id: string): void {
  const { req, res, query } = request
  const { faults, flavor, store } = ctx
  // Counted per user, so that which of a client's PUTs fail does not depend on what other clients send meanwhile.
  if (faults.has('intermittent-500')) {
    const putCount = (ctx.putCounts.get(id) ?? 0) + 1
    ctx.putCounts.set(id, putCount)
    if (putCount % 5 === 0) return sendError(ctx, res, 500, 'Internal server error.')
  }

  const user = store.get(id)
  if (!mediaAndSizeOk(ctx, request)) return
  if (!user && !faults.has('upsert-unknown-id'))
    return sendError(ctx, res, 404, `User ${id} not found.`, faults.has('unknown-id-notarget') ? 'noTarget' : undefined)
  const ifMatch = req.headers['if-match']
  // Fault 'if-match-refused': a conditional PUT is refused whatever its tag (the precondition never evaluated).
  if (user && ctx.etag && ifMatch !== undefined && faults.has('if-match-refused'))
    return sendError(ctx, res, 409, `If-Match is not supported on PUT.`)
  if (
    user &&
    ctx.etag &&
    ifMatch !== undefined &&
    !faults.has('if-match-ignored') &&
    !ifMatchSatisfied(ifMatch, versionOf(user), faults.has('if-match-strong') ? 'strong' : 'weak')
  ) {
    return sendError(ctx, res, 412, `If-Match ${ifMatch} does not match the current version ${versionOf(user)}.`)
  }
  const input = parsedInput(ctx, request, 'put')
  if (!input) return
  const userName = input.values.get('userName')
  if (user && faults.has('username-immutable') && typeof userName === 'string' && userName !== user.data.userName)
    return sendError(ctx, res, 400, 'userName cannot be changed.', 'mutability')
  if (rejectDuplicate(ctx, res, input, id, 'put')) return

  if (!user) {
    // Fault 'upsert-unknown-id': PUT creates the user under the requested id.
    const created = store.create(replaceUserData({}, input, flavor, NO_FAULTS, ctx.constraints), Date.now(), id)
    const location = toResource(created, flavor, ctx.baseUrl, NO_FAULTS).meta as { location: string }
    return sendSuccess(ctx, res, 201, shownResource(ctx, created, query), {
      Location: location.location,
      ...etagHeader(ctx, created),
    })
  }

  const next: StoredUser = {
    ...user,
    data: replaceUserData(user.data, input, flavor, faults, ctx.constraints),
    groups: [...user.groups],
    lastModified: faults.has('frozen-last-modified') ? user.lastModified : nextTimestamp(user.lastModified),
    version: faults.has('frozen-version') ? user.version : user.version + 1,
  }
  applyReadOnlyFaults(faults, next, input)
  if (!faults.has('response-not-persisted')) store.save(next, user.id)

  const shown = faults.has('stale-response') ? user : next
  const headers = representationHeaders(ctx, shown)
  if (faults.has('put-returns-204')) {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
    res.statusCode = 204
    res.end()
    return
  }
  const resource = shownResource(ctx, shown, query, !faults.has('attributes-param-ignored'))
  if (faults.has('schemas-echoed')) echoSchemas(resource, request.body)
  sendSuccess(ctx, res, faults.has('put-returns-201') ? 201 : 200, resource, headers)
}

/** Fault 'schemas-echoed': the response's `schemas` is the request's, as sent (left out when the request had none). */
function echoSchemas(resource: Record<string, unknown>, body: RequestBody): void {
  const sent =
    body.kind === 'ok' ? (JSON.parse(body.text.replace(/^\uFEFF/, '')) as Record<string, unknown>).schemas : undefined
  if (sent === undefined) delete resource.schemas
  else resource.schemas = sent
}

/** The faults that let readOnly values from the body through (RFC 7644 §3.5.1 says they SHALL be ignored). */
function applyReadOnlyFaults(faults: Faults, next: StoredUser, input: UserInput): void {
  const { id, meta, groups } = input.readOnly
  if (faults.has('id-from-body') && typeof id === 'string' && id !== '') next.id = id
  const created = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>).created : undefined
  if (faults.has('meta-from-body') && typeof created === 'string') next.created = created
  // "Reset to now", but always a different instant, so that the fault is visible within the same millisecond.
  if (faults.has('created-changes'))
    next.created = new Date(Math.max(Date.now(), Date.parse(next.created) + 1)).toISOString()
  if (faults.has('groups-from-body') && Array.isArray(groups)) next.groups = structuredClone(groups)
}

/** 415 for a media type other than SCIM's JSON ones, 413 for an oversized body; true when the request may proceed. */
function mediaAndSizeOk(ctx: ServerContext, { req, res, body }: UsersRequest): boolean {
  const { faults } = ctx
  const put = req.method === 'PUT'
  const rejected = put ? { scimJson: faults.has('scim-json-rejected'), json: faults.has('json-rejected') } : {}
  const mediaChecked = !(put && faults.has('content-type-ignored'))
  if (mediaChecked && !isScimRequestMedia(req.headers['content-type'], rejected)) {
    sendError(ctx, res, 415, 'Content-Type must be application/scim+json or application/json.')
    return false
  }
  if (body.kind !== 'ok') {
    sendError(ctx, res, 413, 'The request body is too large.')
    return false
  }
  return true
}

/** Parses and validates the body, answering the error itself; the input when the request may proceed. */
function parsedInput(ctx: ServerContext, request: UsersRequest, operation: 'put' | 'post'): UserInput | undefined {
  const { res, body } = request
  if (operation === 'post' && !mediaAndSizeOk(ctx, request)) return undefined
  if (body.kind !== 'ok') return undefined
  let parsed: unknown
  try {
    const text = body.text.replace(/^\uFEFF/, '')
    if (text.trim() === '') throw new SyntaxError('empty body')
    parsed = JSON.parse(text)
  } catch {
    if (operation === 'put' && ctx.faults.has('malformed-json-500')) {
      sendError(ctx, res, 500, 'Internal server error.')
      return undefined
    }
    sendError(ctx, res, 400, 'The request body is not valid JSON.', 'invalidSyntax')
    return undefined
  }
  const validation = validateUser(parsed, ctx.flavor, { faults: ctx.faults, operation, constraints: ctx.constraints })
  if (!validation.ok) {
    sendError(ctx, res, validation.status, validation.detail, validation.scimType)
    return undefined
  }
  return validation.input
}

/** RFC 7643 §4.1.1: userName is unique across all Users, ignoring case; 409 `uniqueness` (RFC 7644 §3.12). true when answered. */
function rejectDuplicate(
  ctx: ServerContext,
  res: ServerResponse,
  input: UserInput,
  exceptId: string | undefined,
  operation: 'put' | 'post',
): boolean {
  const { faults } = ctx
  const put = operation === 'put'
  const userName = input.values.get('userName')
  if (typeof userName !== 'string' || (put && faults.has('duplicate-username-accepted'))) return false
  const caseSensitive = faults.has('case-variant-duplicate-accepted')
  const other = ctx.store.findByUserName(userName, { exceptId, caseSensitive })
  if (!other) return false
  if (put && faults.has('duplicate-username-500')) {
    sendError(ctx, res, 500, 'Internal server error.')
    return true
  }
  const scimType = faults.has('conflict-without-scimtype') ? undefined : 'uniqueness'
  sendError(ctx, res, 409, `userName "${userName}" is already taken by another User.`, scimType)
  return true
}
