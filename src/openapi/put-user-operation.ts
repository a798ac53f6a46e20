import { OperationNotFoundError, SpecLoadError } from '../errors.ts'
import type { JsonSchema } from './json-schema.ts'
import type { OpenApiDocument } from './load-spec.ts'
import { CircularSchemaError, toJsonSchema } from './to-json-schema.ts'

/** One media type of a request or response, with its schema converted for ajv (null when none is declared). */
export interface MediaSchema {
  mediaType: string
  schema: JsonSchema | null
}

/** How the operation authenticates, from its (or the document's) security requirement. */
export interface SecurityInfo {
  kind: 'bearer' | 'basic' | 'apiKey' | 'oauth2' | 'none' | 'other'
  schemeName: string | null
  bearerFormat: string | null
}

/** What the harness reads from a vendor's document about its replace-user operation. */
export interface PutUserOperation {
  specPath: string
  version: '3.0' | '3.1'
  title: string
  /** Path template as written, e.g. `/api/v1/scim/v2/Users/{userUuid}`. */
  path: string
  /** Name of the path parameter that carries the user id, e.g. `userUuid`. */
  idParam: string
  operationId: string | null
  /** First `servers` URL with its variables set to their defaults; `/` when none. */
  serverUrl: string
  request: { required: boolean; media: MediaSchema[] }
  /** Declared responses by status key as written (`200`, `4XX`, `default`). */
  responses: Record<string, MediaSchema[]>
  security: SecurityInfo
}

const USERS_PATH = /\/Users\/\{([^}/]+)\}\/?$/

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Finds the replace-user operation (the PUT on a path ending in `/Users/{param}`) and extracts what
 * the harness needs. Throws `OperationNotFoundError` naming the file and the missing part.
 */
export function putUserOperation(api: OpenApiDocument, specPath: string): PutUserOperation {
  const version = String(api.openapi).startsWith('3.1') ? '3.1' : '3.0'
  const paths = isObj(api.paths) ? api.paths : {}
  const candidates = Object.keys(paths).filter(
    (p) => USERS_PATH.test(p) && isObj(paths[p]) && isObj((paths[p] as Obj).put),
  )
  if (candidates.length === 0) {
    throw new OperationNotFoundError(
      `${specPath}: declares no PUT on a path ending in /Users/{id}. ` +
        'Pass --spec with a document that has the replace-user operation.',
    )
  }
  // Prefer the shortest path: a document may also nest /Groups/{g}/Users/{id}.
  const path = candidates.sort((a, b) => a.length - b.length)[0]
  const pathItem = paths[path] as Obj
  const put = pathItem.put as Obj
  const idParam = USERS_PATH.exec(path)![1]

  const body = isObj(put.requestBody) ? put.requestBody : null
  if (!body || !isObj(body.content) || Object.keys(body.content).length === 0) {
    throw new OperationNotFoundError(
      `${specPath}: PUT ${path} declares no request body. ` +
        'The replace-user operation must declare its JSON body schema.',
    )
  }
  const convert = (content: Obj, what: string) => {
    try {
      return mediaSchemas(content, version)
    } catch (error) {
      if (!(error instanceof CircularSchemaError)) throw error
      throw new SpecLoadError(
        `${specPath}: circular $ref at ${pointerTo(api, error.schema)} (in the ${what} of PUT ${path}): ` +
          `${error.message}; make a property on the cycle optional.`,
        { cause: error },
      )
    }
  }
  const request = { required: body.required === true, media: convert(body.content, 'request body') }
  if (!request.media.some((m) => m.schema && isJsonMedia(m.mediaType))) {
    throw new OperationNotFoundError(`${specPath}: PUT ${path} declares no JSON request body schema.`)
  }

  const responses: Record<string, MediaSchema[]> = {}
  for (const [status, response] of Object.entries(isObj(put.responses) ? put.responses : {})) {
    responses[status] =
      isObj(response) && isObj(response.content) ? convert(response.content, `${status} response`) : []
  }
  if (!Object.keys(responses).some((s) => /^2/.test(s))) {
    throw new OperationNotFoundError(`${specPath}: PUT ${path} declares no 2xx response.`)
  }

  const info = isObj(api.info) ? api.info : {}
  return {
    specPath,
    version,
    title: typeof info.title === 'string' ? info.title : specPath,
    path,
    idParam,
    operationId: typeof put.operationId === 'string' ? put.operationId : null,
    serverUrl: serverUrl(put.servers ?? pathItem.servers ?? api.servers),
    request,
    responses,
    security: securityOf(api, put),
  }
}

export function isJsonMedia(mediaType: string): boolean {
  return /^application\/([\w.+-]*\+)?json\b/i.test(mediaType.trim())
}

function mediaSchemas(content: Obj, version: '3.0' | '3.1'): MediaSchema[] {
  return Object.entries(content).map(([mediaType, media]) => ({
    mediaType,
    schema: isObj(media) && isObj(media.schema) ? toJsonSchema(media.schema, version) : null,
  }))
}

/** The shortest JSON pointer to `target` in the dereferenced document, e.g. `#/components/schemas/User`. */
function pointerTo(api: OpenApiDocument, target: object): string {
  const seen = new Set<object>([api])
  let level: [object, string][] = [[api, '#']]
  while (level.length > 0) {
    const next: [object, string][] = []
    for (const [node, pointer] of level) {
      for (const [key, child] of Object.entries(node)) {
        if (child === null || typeof child !== 'object' || seen.has(child)) continue
        const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`
        if (child === target) return at
        seen.add(child)
        next.push([child, at])
      }
    }
    level = next
  }
  return 'an inline schema'
}

function serverUrl(servers: unknown): string {
  const first = Array.isArray(servers) ? servers.find(isObj) : undefined
  if (!first || typeof first.url !== 'string') return '/'
  const vars = isObj(first.variables) ? first.variables : {}
  return first.url.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const v = vars[name]
    return isObj(v) && typeof v.default === 'string' ? v.default : whole
  })
}

function securityOf(api: OpenApiDocument, put: Obj): SecurityInfo {
  const requirements = Array.isArray(put.security) ? put.security : Array.isArray(api.security) ? api.security : []
  const none: SecurityInfo = { kind: 'none', schemeName: null, bearerFormat: null }
  // An empty requirement object means "no auth" is one of the alternatives.
  const named = requirements.filter(isObj).flatMap((r) => Object.keys(r))
  if (named.length === 0) return none
  const components = isObj(api.components) ? api.components : {}
  const schemes = isObj(components.securitySchemes) ? components.securitySchemes : {}
  const schemeName = named[0]
  const scheme = schemes[schemeName]
  if (!isObj(scheme)) return { kind: 'other', schemeName, bearerFormat: null }
  const bearerFormat = typeof scheme.bearerFormat === 'string' ? scheme.bearerFormat : null
  if (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer')
    return { kind: 'bearer', schemeName, bearerFormat }
  if (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'basic')
    return { kind: 'basic', schemeName, bearerFormat }
  if (scheme.type === 'apiKey') return { kind: 'apiKey', schemeName, bearerFormat }
  if (scheme.type === 'oauth2' || scheme.type === 'openIdConnect') return { kind: 'oauth2', schemeName, bearerFormat }
  return { kind: 'other', schemeName, bearerFormat }
}
