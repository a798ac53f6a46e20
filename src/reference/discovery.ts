import type { SchemaDefinition } from '../scim/attribute.ts'
import { CORE_USER_URN } from '../scim/core-schema.ts'
import type { ServerContext } from './context.ts'
import { MAX_BODY_BYTES } from './body.ts'

export const LIST_RESPONSE_URN = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
const SPC_URN = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'
const SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Schema'
const RESOURCE_TYPE_URN = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType'

/** Largest page `GET /Users` returns. */
export const MAX_RESULTS = 200

/** A ListResponse holding every item (RFC 7644 §3.4.2). */
export function listResponse(
  resources: unknown[],
  totalResults = resources.length,
  startIndex = 1,
): Record<string, unknown> {
  return {
    schemas: [LIST_RESPONSE_URN],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  }
}

function meta(ctx: ServerContext, resourceType: string, path: string): Record<string, unknown> {
  return { resourceType, created: ctx.startedAt, lastModified: ctx.startedAt, location: `${ctx.baseUrl}${path}` }
}

/**
 * What the server supports: no PATCH, bulk, password change or sort; filtering; ETags as configured.
 * @see https://www.rfc-editor.org/rfc/rfc7643#section-5
 */
export function serviceProviderConfig(ctx: ServerContext): Record<string, unknown> {
  return {
    schemas: [SPC_URN],
    documentationUri: 'https://www.rfc-editor.org/rfc/rfc7644',
    patch: { supported: false },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: MAX_BODY_BYTES },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: ctx.etag },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'Authentication with a bearer token in the Authorization header.',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: meta(ctx, 'ServiceProviderConfig', '/ServiceProviderConfig'),
  }
}

/** The schemas the flavor uses: the core User restricted to its attributes, then its extensions (RFC 7643 §7). */
export function schemaResources(ctx: ServerContext): Record<string, unknown>[] {
  const definitions: SchemaDefinition[] = [ctx.flavor.coreSchema, ...ctx.flavor.extensions.map((e) => e.schema)]
  return definitions.map((definition) => ({
    schemas: [SCHEMA_URN],
    ...structuredClone(definition),
    meta: meta(ctx, 'Schema', `/Schemas/${definition.id}`),
  }))
}

/** The User resource type (RFC 7643 §6), with the flavor's extensions. */
export function resourceTypeResources(ctx: ServerContext): Record<string, unknown>[] {
  return [
    {
      schemas: [RESOURCE_TYPE_URN],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: CORE_USER_URN,
      schemaExtensions: ctx.flavor.extensions.map((e) => ({ schema: e.urn, required: false })),
      meta: meta(ctx, 'ResourceType', '/ResourceTypes/User'),
    },
  ]
}
