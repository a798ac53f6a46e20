import { stat } from 'node:fs/promises'
import { basename, extname, resolve } from 'node:path'
import { UsageError } from '../errors.ts'
import type { JsonSchema } from '../openapi/json-schema.ts'
import { loadSpec } from '../openapi/load-spec.ts'
import { SPEC_READ_TIMEOUT_MS, withTimeout } from '../openapi/spec-files.ts'
import {
  isJsonMedia,
  putUserOperation,
  type MediaSchema,
  type PutUserOperation,
} from '../openapi/put-user-operation.ts'
import { BUILT_IN_VENDORS, builtInVendor, type BuiltInVendor, type DeclaredTraits } from './vendors.ts'

export const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error'

/** Error body format a vendor declares: RFC 7644 §3.12 SCIM Error, RFC 9457 problem details, or nothing said. */
export type ErrorFormat = 'scim' | 'problem' | 'undeclared'

/** Everything the harness knows about one vendor's replace-user endpoint. */
export interface VendorProfile {
  /** `lightdash`, `maia`, `cube`, `generic`, or the spec file's base name for `--spec`. */
  name: string
  specPath: string
  op: PutUserOperation
  declared: DeclaredTraits
  /** SCIM base path: the PUT path up to `/Users/{id}`, e.g. `/api/v1/scim/v2` (empty for a root base). */
  basePath: string
  /** How requests authenticate: a bearer token, or nothing declared. */
  auth: 'bearer' | 'none'
  /** Statuses the vendor declares for a missing/invalid credential (RFC 7644 Table 8: 401). */
  authFailureStatuses: number[]
  /** Media type the harness sends the body with: the first JSON one the request declares. */
  requestMediaType: string
  /** Request body schema (for ajv and the generator). */
  requestSchema: JsonSchema
  /** Media types declared for the 200 (or first 2xx) response. */
  successMedia: MediaSchema[]
  error: {
    format: ErrorFormat
    /** Media types declared on 4xx/5xx responses. */
    mediaTypes: string[]
  }
  /** Properties the request schema lists as required (top level, allOf merged). */
  requiredFields: string[]
  /** Top-level request properties whose name is a schema URN (extension attributes). */
  extensionUrns: string[]
}

/** Builds a profile from an OpenAPI document; `declared` fills what no spec says. */
export function profileFromOperation(name: string, op: PutUserOperation, declared: DeclaredTraits): VendorProfile {
  const match = /^(.*)\/Users\/\{[^}]+\}\/?$/.exec(op.path)
  const basePath = (match ? match[1] : '').replace(/\/$/, '')
  const jsonRequest = op.request.media.find((m) => m.schema && isJsonMedia(m.mediaType))!
  const requestSchema = jsonRequest.schema!
  const statuses = Object.keys(op.responses)
  const success = statuses.find((s) => s === '200') ?? statuses.find((s) => /^2/.test(s))!
  const errorMedia = statuses.filter((s) => /^[45]/.test(s)).flatMap((s) => op.responses[s].map((m) => m.mediaType))
  const authStatuses = statuses.filter((s) => s === '401' || s === '403').map(Number)
  const props = topLevelProperties(requestSchema)
  return {
    name,
    specPath: op.specPath,
    op,
    declared,
    basePath,
    auth: op.security.kind === 'bearer' ? 'bearer' : 'none',
    authFailureStatuses: authStatuses.length > 0 ? authStatuses : [401],
    requestMediaType: jsonRequest.mediaType,
    requestSchema,
    successMedia: op.responses[success],
    error: { format: errorFormatOf(op), mediaTypes: [...new Set(errorMedia)] },
    requiredFields: requiredOf(requestSchema),
    extensionUrns: Object.keys(props).filter(
      (p) => /^urn:/i.test(p) && p.toLowerCase() !== CORE_USER_SCHEMA.toLowerCase(),
    ),
  }
}

/** How to load a profile: a built-in `vendor` or a `spec` file; `allowRemoteRefs` lets `$ref`s reach http(s) URLs. */
export interface LoadProfileOptions {
  vendor?: string
  spec?: string
  validate?: boolean
  /**
   * Read `$ref`s to http(s) URLs (`--allow-remote-refs`). Local files stay confined to the spec's folder.
   * @defaultValue false
   */
  allowRemoteRefs?: boolean
}

/** Loads a built-in vendor by name, or any OpenAPI file given with `--spec`. */
export async function loadProfile(options: LoadProfileOptions): Promise<VendorProfile> {
  const builtIn = options.vendor ? builtInVendor(options.vendor) : undefined
  if (options.vendor && !builtIn && !options.spec) {
    const names = BUILT_IN_VENDORS.map((v) => v.name).join(', ')
    throw new UsageError(`unknown vendor "${options.vendor}". Choose one of ${names}, or pass --spec FILE.`)
  }
  const specPath = options.spec ?? builtIn?.specPath
  if (!specPath) throw new UsageError('no vendor chosen: pass --vendor NAME or --spec FILE.')
  // Profiles are never modified, so one load serves every suite file, run and test in the process, and
  // so do the compiled validators and arbitraries cached per profile. An edited spec file loads afresh.
  const key = JSON.stringify([
    options.vendor ?? null,
    resolve(specPath),
    options.validate !== false,
    options.allowRemoteRefs === true,
    await fileStamp(specPath),
  ])
  let loading = loaded.get(key)
  if (!loading) {
    loading = load(specPath, builtIn, options)
    loaded.set(key, loading)
    // A failed load is not kept: the next call reports the problem again (or succeeds once it is fixed).
    loading.catch(() => loaded.delete(key))
  }
  return loading
}

const loaded = new Map<string, Promise<VendorProfile>>()

/** Size and modification time of a spec file, or null when it cannot be read (the load then reports why). */
async function fileStamp(path: string): Promise<string | null> {
  try {
    // Bounded like every spec read: a hung network mount must not hang the run here either.
    const { size, mtimeMs } = await withTimeout(stat(path), SPEC_READ_TIMEOUT_MS, () => new Error('timeout'))
    return `${size}:${mtimeMs}`
  } catch {
    return null
  }
}

async function load(
  specPath: string,
  builtIn: BuiltInVendor | undefined,
  options: LoadProfileOptions,
): Promise<VendorProfile> {
  // The built-in documents ship with the tool and a test validates them (vendor-profile.test.ts): checking them
  // against OpenAPI's meta-schema again costs every run ~300 ms of CPU. A --spec document is always validated.
  const validate = builtIn && !options.spec ? false : options.validate
  const api = await loadSpec(specPath, { validate, allowRemoteRefs: options.allowRemoteRefs })
  const op = putUserOperation(api, specPath)
  const name = options.vendor ?? basename(specPath, extname(specPath))
  const declared: DeclaredTraits =
    builtIn && !options.spec ? builtIn.declared : { displayName: op.title, userNameFormat: 'email' }
  return profileFromOperation(name, op, declared)
}

/** Merges `allOf` branches so that callers see one object's properties. */
export function topLevelProperties(schema: JsonSchema): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {}
  for (const branch of [schema, ...(schema.allOf ?? [])]) {
    if (branch !== schema && branch.allOf) Object.assign(out, topLevelProperties(branch))
    Object.assign(out, branch.properties ?? {})
  }
  return out
}

function requiredOf(schema: JsonSchema): string[] {
  const out = new Set<string>(schema.required ?? [])
  for (const branch of schema.allOf ?? []) for (const r of requiredOf(branch)) out.add(r)
  return [...out]
}

function errorFormatOf(op: PutUserOperation): ErrorFormat {
  const media = Object.entries(op.responses)
    .filter(([s]) => /^[45]/.test(s))
    .flatMap(([, m]) => m)
  if (media.length === 0) return 'undeclared'
  if (media.some((m) => /problem\+json/i.test(m.mediaType))) return 'problem'
  return 'scim'
}
