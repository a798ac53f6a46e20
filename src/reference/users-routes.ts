import { projectResource } from './attributes-param.ts'
import { isScimRequestMedia } from './body.ts'
import type { ServerContext } from './context.ts'
import { listResponse } from './discovery.ts'
import { ifMatchSatisfied } from './etag.ts'
import {
  alter,
  type BodyCall,
  type CreateCall,
  type DeleteCall,
  decide,
  decideAsync,
  firstAnswer,
  type ReplaceCall,
  type WriteCall,
} from './hooks.ts'
import { pageOf, parseFilter } from './list-users.ts'
import { replaceUserData } from './replace-user.ts'
import { locationOf, toResource, versionOf } from './representation.ts'
import { type HttpExchange, sendAnswer, sendError, sendSuccess } from './responders.ts'
import { newUser, nextTimestamp, type StoredUser } from './store.ts'
import { type UserInput, validateUser } from './validate-user.ts'

/** The resource a response shows: rendered, altered by the `resource` hooks, then `attributes`/`excludedAttributes`. */
function shownResource(ctx: ServerContext, exchange: HttpExchange, user: StoredUser): Record<string, unknown> {
  // Without hooks nothing alters the resource before it is serialized, so it may share the stored values.
  const resource = toResource(user, ctx.flavor, ctx.baseUrl, ctx.hooks.length > 0)
  alter(ctx.hooks, (h) => h.resource, { exchange, user, resource })
  return projectResource(resource, exchange.query, ctx.flavor)
}

/** The ETag header of a response that carries one user, when ETags are on (RFC 7644 §3.14). */
function etagHeader(ctx: ServerContext, user: StoredUser): Record<string, string> {
  return ctx.etag ? { ETag: versionOf(user) } : {}
}

/** The stored representation of every user, as a GET without hooks shows it (for tests). */
export function storedUsers(ctx: ServerContext): Record<string, unknown>[] {
  return ctx.store.all().map((user) => toResource(user, ctx.flavor, ctx.baseUrl))
}

/** The user /Users/{id} addresses: the stored one, unless a `target` hook decides otherwise. */
async function targetOf(ctx: ServerContext, exchange: HttpExchange, id: string): Promise<StoredUser | null> {
  return decideAsync(ctx.hooks, (h) => h.target, { exchange, id, correct: ctx.store.get(id) ?? null })
}

function notFound(ctx: ServerContext, exchange: HttpExchange, id: string): void {
  sendError(ctx, exchange, 404, 'not-found', `User ${id} not found.`)
}

/** Runs the `write` hooks (each awaited) on a change about to be stored. */
async function written<C extends WriteCall>(ctx: ServerContext, call: C): Promise<C> {
  for (const hook of ctx.hooks) await hook.write?.(call)
  return call
}

/** GET /Users/{id} (RFC 7644 §3.4.1). */
export async function getUser(ctx: ServerContext, exchange: HttpExchange, id: string): Promise<void> {
  const user = await targetOf(ctx, exchange, id)
  if (!user) return notFound(ctx, exchange, id)
  sendSuccess(ctx, exchange, 200, shownResource(ctx, exchange, user), etagHeader(ctx, user))
}

/** GET /Users with `filter`, `startIndex`, `count` (RFC 7644 §3.4.2). */
export function listUsers(ctx: ServerContext, exchange: HttpExchange): void {
  const { query } = exchange
  const filterText = query.get('filter')
  let users = ctx.store.all()
  if (filterText !== null && filterText.trim() !== '') {
    const filter = parseFilter(filterText, ctx.flavor)
    if (typeof filter === 'string') return sendError(ctx, exchange, 400, 'invalid-filter', filter, 'invalidFilter')
    users = users.filter(filter)
  }
  const { startIndex, count } = pageOf(query)
  const page = users.slice(startIndex - 1, startIndex - 1 + count)
  const resources = page.map((u) => shownResource(ctx, exchange, u))
  sendSuccess(ctx, exchange, 200, listResponse(resources, users.length, startIndex))
}

/** DELETE /Users/{id} (RFC 7644 §3.6): 204, honouring If-Match when ETags are on. */
export async function deleteUser(ctx: ServerContext, exchange: HttpExchange, id: string): Promise<void> {
  const user = await targetOf(ctx, exchange, id)
  if (!user) return notFound(ctx, exchange, id)
  if (!(await preconditionHolds(ctx, exchange, user))) return
  const call = await written<DeleteCall>(ctx, {
    operation: 'delete',
    exchange,
    previous: user,
    next: undefined,
    save: true,
  })
  if (call.save) ctx.store.delete(user.id)
  sendSuccess(ctx, exchange, 204, undefined)
}

/** POST /Users (RFC 7644 §3.3): the PUT validation without the vendor-only required fields; 201 + Location. */
export async function createUser(ctx: ServerContext, exchange: HttpExchange): Promise<void> {
  if (!mediaAndSizeOk(ctx, exchange)) return
  const input = await parsedInput(ctx, exchange, 'create', undefined)
  if (!input || rejectDuplicate(ctx, exchange, input, undefined)) return
  const next = newUser(replaceUserData({}, input, ctx.flavor, ctx.constraints), Date.now())
  const call = await written<CreateCall>(ctx, {
    operation: 'create',
    exchange,
    previous: undefined,
    input,
    next,
    save: true,
  })
  if (call.save) ctx.store.save(call.next)
  const shown = call.shown ?? call.next
  sendSuccess(ctx, exchange, 201, shownResource(ctx, exchange, shown), {
    Location: locationOf(call.next, ctx.baseUrl),
    ...etagHeader(ctx, shown),
  })
}

/**
 * PUT /Users/{id}: replaces the user's attributes with the body's.
 * @see https://www.rfc-editor.org/rfc/rfc7644#section-3.5.1
 */
export async function replaceUser(ctx: ServerContext, exchange: HttpExchange, id: string): Promise<void> {
  const user = await targetOf(ctx, exchange, id)
  if (!mediaAndSizeOk(ctx, exchange)) return
  if (!user) return notFound(ctx, exchange, id)
  if (!(await preconditionHolds(ctx, exchange, user))) return
  const input = await parsedInput(ctx, exchange, 'replace', user)
  if (!input || rejectDuplicate(ctx, exchange, input, user.id)) return

  const next: StoredUser = {
    ...user,
    data: replaceUserData(user.data, input, ctx.flavor, ctx.constraints),
    groups: [...user.groups],
    lastModified: nextTimestamp(user.lastModified),
    version: user.version + 1,
  }
  const call = await written<ReplaceCall>(ctx, {
    operation: 'replace',
    exchange,
    previous: user,
    input,
    next,
    save: true,
  })
  if (call.save) ctx.store.save(call.next, user.id)
  const shown = call.shown ?? call.next
  sendSuccess(ctx, exchange, 200, shownResource(ctx, exchange, shown), etagHeader(ctx, shown))
}

/** RFC 7644 §3.14: with ETags on, an If-Match that does not match the current version is answered 412. */
async function preconditionHolds(ctx: ServerContext, exchange: HttpExchange, user: StoredUser): Promise<boolean> {
  const header = exchange.headers['if-match']
  if (!ctx.etag || header === undefined) return true
  const currentTag = versionOf(user)
  const correct = ifMatchSatisfied(header, currentTag)
  if (await decideAsync(ctx.hooks, (h) => h.ifMatch, { exchange, header, currentTag, user, correct })) return true
  sendError(
    ctx,
    exchange,
    412,
    'precondition-failed',
    `If-Match ${header} does not match the current version ${currentTag}.`,
  )
  return false
}

/** 415 for a media type other than SCIM's JSON ones, 413 for an oversized body; true when the request may proceed. */
function mediaAndSizeOk(ctx: ServerContext, exchange: HttpExchange): boolean {
  if (!isScimRequestMedia(exchange.headers['content-type'])) {
    sendError(
      ctx,
      exchange,
      415,
      'unsupported-media-type',
      'Content-Type must be application/scim+json or application/json.',
    )
    return false
  }
  if (exchange.body.kind !== 'ok') {
    sendError(ctx, exchange, 413, 'too-large', 'The request body is too large.')
    return false
  }
  return true
}

/** Parses and validates the body, answering the error itself; the input when the request may proceed. */
async function parsedInput(
  ctx: ServerContext,
  exchange: HttpExchange,
  operation: BodyCall['operation'],
  target: StoredUser | undefined,
): Promise<UserInput | undefined> {
  const { body } = exchange
  if (body.kind !== 'ok') return undefined
  let parsed: unknown
  try {
    // A leading BOM is skipped. An empty or blank body needs no check of its own: JSON.parse throws on it.
    parsed = JSON.parse(body.text.charCodeAt(0) === 0xfeff ? body.text.slice(1) : body.text)
  } catch {
    sendError(ctx, exchange, 400, 'unparsable', 'The request body is not valid JSON.', 'invalidSyntax')
    return undefined
  }
  const call: BodyCall = { exchange, operation, body: parsed, target }
  const answer = await firstAnswer(ctx.hooks, (h) => h.body, call)
  if (answer) {
    sendAnswer(ctx, exchange, answer)
    return undefined
  }
  // Without hooks every refusal stands and no value is refused by a hook: the validator's defaults.
  const hooked = ctx.hooks.length > 0
  const validation = validateUser(call.body, ctx.flavor, {
    operation: operation === 'replace' ? 'put' : 'post',
    constraints: ctx.constraints,
    refuses: hooked
      ? (refusal) => decide(ctx.hooks, (h) => h.refusal, { exchange, ...refusal, correct: true })
      : undefined,
    inspect: hooked
      ? (path, value) => {
          for (const hook of ctx.hooks) {
            const detail = hook.value?.({ exchange, path, value })
            if (detail !== undefined) return detail
          }
          return undefined
        }
      : undefined,
  })
  if (!validation.ok) {
    sendError(ctx, exchange, validation.status, 'invalid', validation.detail, validation.scimType)
    return undefined
  }
  return validation.input
}

/** RFC 7643 §4.1.1: userName is unique across all Users, ignoring case; else 409 `uniqueness` (RFC 7644 §3.12). */
function rejectDuplicate(
  ctx: ServerContext,
  exchange: HttpExchange,
  input: UserInput,
  exceptId: string | undefined,
): boolean {
  const userName = input.values.get('userName')
  if (typeof userName !== 'string') return false
  const lower = userName.toLowerCase()
  const clashes = (other: StoredUser) => {
    if (typeof other.data.userName !== 'string') return false
    const correct = other.data.userName.toLowerCase() === lower
    // Without hooks the decision is `correct`: no call object per stored user.
    if (ctx.hooks.length === 0) return correct
    return decide(ctx.hooks, (h) => h.uniqueness, { exchange, userName, other, correct })
  }
  if (!ctx.store.all().some((other) => other.id !== exceptId && clashes(other))) return false
  sendError(ctx, exchange, 409, 'uniqueness', `userName "${userName}" is already taken by another User.`, 'uniqueness')
  return true
}
