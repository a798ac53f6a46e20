import type { CheckDefinition } from '../checks/define-check.ts'
import type { Contract } from '../checks/types.ts'
import {
  parseSchemas,
  parseServiceProviderConfig,
  userAttributeCharacteristics,
  type Capabilities,
} from '../discovery/index.ts'
import { createScimClient, type ScimClient } from '../http/client.ts'
import type { Exchange } from '../http/exchange.ts'
import { loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import type { AttributeDefinition } from '../scim/attribute.ts'
import { CORE_USER_SCHEMA_DEF, ENTERPRISE_USER_SCHEMA_DEF } from '../scim/core-schema.ts'
import type { RunConfig } from './config.ts'
import { UserLedger } from './ledger.ts'
import { scrubberOf } from '../secrets.ts'
import { guardedClient, TestUsers } from './test-users.ts'

/** What the server says about itself, read once before the checks. */
export interface Discovery {
  /** Parsed /ServiceProviderConfig, or null when it is missing or unreadable (then `notes` says why). */
  capabilities: Capabilities | null
  /** Attribute characteristics the server declares in /Schemas (lower-cased paths), or null. */
  declared: Map<string, AttributeDefinition> | null
  notes: string[]
  exchanges: Exchange[]
}

/** Everything a check may use: the vendor, the target, the server's declarations and the test users. */
export interface CheckContext {
  config: RunConfig
  profile: VendorProfile
  client: ScimClient
  discovery: Discovery
  users: TestUsers
  /** Characteristics of a User attribute path (`userName`, `name.givenName`, `emails.value`, `<urn>:role`): the server's declaration, else RFC 7643's. */
  attribute(path: string): AttributeDefinition | undefined
  contractOf(check: Pick<CheckDefinition, 'contract'>): Contract
}

/** Builds the context for one run: loads the profile, opens the client, reads discovery. */
export async function createContext(
  config: RunConfig,
  target: string,
  options: { embedded?: boolean } = {},
): Promise<CheckContext> {
  // The run's global setup (or the CLI) validated the spec already.
  const profile = await loadProfile({
    vendor: config.spec ? undefined : config.vendor,
    spec: config.spec ?? undefined,
    validate: false,
    allowRemoteRefs: config.allowRemoteRefs,
  })
  const client = createScimClient({
    baseUrl: target,
    token: config.token,
    timeoutMs: config.timeoutMs,
    deadlineMs: config.deadlineMs,
    concurrency: config.concurrency,
    rate: config.rate,
  })
  const discovery = await discover(client, profile)
  const ledger = new UserLedger(
    config.reportDir,
    config.runId,
    { usersUrl: usersUrlOf(target, profile), embedded: options.embedded ?? false },
    scrubberOf({ token: config.token, target }),
  )
  const users = new TestUsers(client, profile, ledger, {
    ...config,
    filterSupported: discovery.capabilities?.filter === true,
  })
  await users.snapshotExisting()
  const rfcDefaults = coreCharacteristics()
  const context: CheckContext = {
    config,
    profile,
    // Checks write only through the guard: no PUT or DELETE reaches a user the harness cannot prove it created.
    client: guardedClient(client, users),
    discovery,
    users,
    attribute: (path) => {
      const key = path.toLowerCase()
      return discovery.declared?.get(key) ?? rfcDefaults.get(key)
    },
    contractOf: (check) => (typeof check.contract === 'function' ? check.contract(context) : (check.contract ?? 'rfc')),
  }
  return context
}

async function discover(client: ScimClient, profile: VendorProfile): Promise<Discovery> {
  const notes: string[] = []
  const exchanges: Exchange[] = []
  const get = async (name: string) => {
    const exchange = await client.send({ method: 'GET', path: `${profile.basePath}/${name}` })
    exchanges.push(exchange)
    const status = exchange.response?.status
    if (status === 200 && exchange.response!.body !== undefined) return exchange.response!.body
    notes.push(
      `/${name} ${exchange.error ? `failed: ${exchange.error.message}` : `answered ${status}`}: what it would declare is taken as unknown`,
    )
    return null
  }
  const spc = await get('ServiceProviderConfig')
  const schemas = await get('Schemas')
  const declared = schemas === null ? null : userAttributeCharacteristics(parseSchemas(schemas))
  return {
    capabilities: spc === null ? null : parseServiceProviderConfig(spc),
    declared: declared && declared.size > 0 ? declared : null,
    notes,
    exchanges,
  }
}

let cachedCore: Map<string, AttributeDefinition> | null = null
function coreCharacteristics(): Map<string, AttributeDefinition> {
  cachedCore ??= userAttributeCharacteristics([CORE_USER_SCHEMA_DEF, ENTERPRISE_USER_SCHEMA_DEF])
  return cachedCore
}

/** Absolute URL of the target's Users collection, as the ledger records it. */
export function usersUrlOf(target: string, profile: VendorProfile): string {
  const url = new URL(target)
  // Userinfo is a secret: never written to the ledger.
  url.username = ''
  url.password = ''
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}${profile.basePath}/Users`
}
