import type { Exchange, OutgoingResponse } from '../../../src/reference/hooks.ts'
import { fault, isObj, isPut, type Obj } from './fault.ts'

/** The User resources a success response carries: the resource itself, or a list's `Resources`. */
function usersIn(exchange: Exchange, response: OutgoingResponse): Obj[] {
  const { body } = response
  if (response.error || !isObj(body) || exchange.route === 'discovery' || exchange.route === 'other') return []
  if (exchange.route === 'users' && exchange.method === 'GET')
    return Array.isArray(body.Resources) ? body.Resources.filter(isObj) : []
  return [body]
}

const meta = (resource: Obj) => resource.meta as Obj

/** Faults of the status, headers, error bodies and representations the server answers with. */
export const RESPONSE_FAULTS = {
  'put-returns-201': fault('A successful PUT answers 201 Created instead of 200 OK.', () => ({
    response: ({ exchange, response }) => {
      if (isPut(exchange) && response.status === 200) response.status = 201
    },
  })),
  'put-returns-204': fault('A successful PUT answers 204 No Content with no body.', () => ({
    response: ({ exchange, response }) => {
      if (!isPut(exchange) || response.status !== 200) return
      response.status = 204
      response.body = undefined
    },
  })),
  'unknown-id-notarget': fault(
    'PUT on an unknown id answers 404 with scimType noTarget, a PATCH keyword of RFC 7644 Table 9 ' +
      '(as Lightdash is reported to).',
    () => ({
      error: ({ exchange, error }) => {
        if (isPut(exchange) && error.reason === 'not-found') error.scimType = 'noTarget'
      },
    }),
  ),
  'non-scim-error-bodies': fault(
    'Errors are answered as {"error": "..."} without the SCIM Error schema (or problem details).',
    () => ({
      response: ({ response }) => {
        if (!response.error) return
        response.body = { error: response.error.detail }
        response.mediaType = 'application/json'
      },
    }),
  ),
  'numeric-error-status': fault('SCIM Error bodies carry `status` as a JSON number instead of a string.', () => ({
    response: ({ exchange, response }) => {
      if (response.error && exchange.server.flavor.errorFormat === 'scim' && isObj(response.body))
        response.body.status = response.error.status
    },
  })),
  'validation-422': fault(
    'Every 400 is answered 422 Unprocessable Entity instead (as many web frameworks answer a validation error).',
    () => ({
      error: ({ error }) => {
        if (error.status === 400) error.status = 422
      },
    }),
  ),
  'stack-trace-in-detail': fault(
    "Every error's `detail` ends with the server's Node.js stack trace (file paths included).",
    () => ({
      error: ({ error }) => {
        // The stack of the code that answers (this frame down, with its file paths) leaks into the message.
        error.detail = `${error.detail}\n${new Error(error.detail).stack?.split('\n').slice(1).join('\n')}`
      },
    }),
  ),
  'conflict-without-scimtype': fault('The uniqueness 409 carries no scimType.', () => ({
    error: ({ error }) => {
      if (error.reason === 'uniqueness') error.scimType = undefined
    },
  })),
  'password-echoed': fault('The password sent is returned in the response and later GETs.', () => ({
    resource: ({ exchange, user, resource }) => {
      // Rendered in schema order, as the attributes returned by default are.
      const { attributes } = exchange.server.flavor
      const ordered: Obj = { schemas: resource.schemas, id: resource.id }
      for (const { name, returned } of attributes) {
        const value = returned === 'never' ? structuredClone(user.data[name]) : resource[name]
        if (value !== undefined) ordered[name] = value
      }
      const rest = Object.entries(resource).filter(([key]) => !(key in ordered))
      for (const key of Object.keys(resource)) delete resource[key]
      Object.assign(resource, ordered, Object.fromEntries(rest))
    },
  })),
  'wrong-content-type': fault('Responses are sent as text/html.', () => ({
    response: ({ response }) => {
      response.mediaType = 'text/html; charset=utf-8'
    },
  })),
  'responses-scim-json': fault(
    'Every response is application/scim+json (problem details stay problem+json), whatever the vendor document ' +
      "declares: RFC 7644 §8.1's own type, not a bug.",
    () => ({
      response: ({ exchange, response }) => {
        if (!(response.error && exchange.server.flavor.errorFormat === 'problem'))
          response.mediaType = 'application/scim+json'
      },
    }),
  ),
  'schemas-missing-in-response': fault('Responses carry no `schemas` attribute.', () => ({
    response: ({ exchange, response }) => {
      for (const resource of usersIn(exchange, response)) delete resource.schemas
    },
  })),
  'wrong-meta-location': fault('`meta.location` points at the wrong resource.', () => ({
    resource: ({ exchange, resource }) => {
      meta(resource).location = `${exchange.server.baseUrl}/Users/00000000-0000-0000-0000-000000000000`
    },
  })),
  'content-location-collection': fault(
    'User responses carry a Content-Location naming the /Users collection, not the user ' +
      '(so it differs from meta.location).',
    () => ({
      // The collection the request went through, not the resource, so it contradicts meta.location.
      response: ({ exchange, response }) => {
        const { route, method } = exchange
        if (route === 'user' && (method === 'GET' || method === 'PUT') && !response.error)
          response.headers['Content-Location'] = `${exchange.server.flavor.basePath}/Users`
      },
    }),
  ),
  'wrong-resource-type': fault('`meta.resourceType` is "Users" (the endpoint\'s name) instead of "User".', () => ({
    resource: ({ resource }) => {
      meta(resource).resourceType = 'Users'
    },
  })),
  'last-modified-epoch-millis': fault(
    '`meta.lastModified` is the stored epoch milliseconds (a JSON number), not an xsd:dateTime string.',
    () => ({
      resource: ({ user, resource }) => {
        meta(resource).lastModified = user.lastModified
      },
    }),
  ),
  'etag-header-missing': fault('With ETags enabled, responses carry no ETag header.', () => ({
    response: ({ response }) => {
      delete response.headers.ETag
    },
  })),
  'etag-not-version': fault(
    'With ETags enabled, the ETag header is a strong tag ("3") while `meta.version` is weak (W/"3").',
    () => ({
      response: ({ response }) => {
        const tag = response.headers.ETag
        if (tag !== undefined) response.headers.ETag = tag.replace(/^W\//, '')
      },
    }),
  ),
  'www-authenticate-missing': fault('A 401 for a missing or wrong token carries no WWW-Authenticate header.', () => ({
    error: ({ error }) => {
      if (error.reason === 'unauthorized') delete error.headers['WWW-Authenticate']
    },
  })),
  'auth-403': fault('A missing or wrong token is answered 403 Forbidden instead of 401 Unauthorized.', () => ({
    error: ({ error }) => {
      if (error.reason !== 'unauthorized') return
      error.status = 403
      delete error.headers['WWW-Authenticate']
    },
  })),
} as const
