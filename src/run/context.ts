import { type CheckContext, type Discovery, NO_CONSTRAINTS, type ServerConstraints } from '../checks/context.ts'
import { parseSchemas, parseServiceProviderConfig, userAttributeCharacteristics } from '../discovery/index.ts'
import type { ScimClient } from '../http/client.ts'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import type { AttributeDefinition } from '../scim/attribute.ts'
import { CORE_USER_SCHEMA_DEF, ENTERPRISE_USER_SCHEMA_DEF } from '../scim/core-schema.ts'
import { type RunConfig, scimTarget } from './config.ts'
import { UserLedger } from './ledger.ts'
import { scrubberOf, secretsOf, type Secret } from '../secrets.ts'
import { guardedClient, listExisting, TestUsers } from './test-users.ts'
import { clientOf, profileOf } from './from-config.ts'
import { authSettingsOf } from './auth-config.ts'
import { gatedClient } from './send-gate.ts'
import { harRecorded, harSpoolPath } from './har-spool.ts'
import { rmSync } from 'node:fs'
import { tripwire } from './tripwire.ts'
import { learnOnce, learnWithTestUser } from './learn-constraints.ts'
import { judgeUsersRead, readOnce } from './preflight.ts'

/** What the runner holds for one run: the checks' narrow context, and what only the runner may touch. */
export interface RunContext {
  /** What checks are given: no token, no RunConfig. */
  check: CheckContext
  /** The test users with their ledger (the end-of-run sweep). */
  users: TestUsers
  /** The run's secrets (token, --target userinfo), for scrubbing what results record. */
  secrets: readonly Secret[]
  /** Closes the connections. */
  close(): Promise<void>
}

/** How a run's context is made: what the run has already loaded or learned once, for every suite file. */
export interface RunContextOptions {
  embedded?: boolean
  profile?: VendorProfile
  /**
   * The server's input constraints, learned once for the run (the CLI's preflight); else here, once per process.
   * A promise while the preflight still runs: nothing is sent to the target before it has resolved.
   */
  constraints?: ServerConstraints | Promise<ServerConstraints>
}

/** Builds the checks' context for one run: loads the profile, opens the client, reads discovery. */
export async function createContext(
  config: RunConfig,
  target: string,
  options: RunContextOptions = {},
): Promise<CheckContext> {
  return (await createRunContext(config, target, options)).check
}

/**
 * Builds one run's context: loads the profile, opens the client, reads discovery, lists the users that
 * exist before, and learns the server's input constraints (unless the run hands them over).
 */
export async function createRunContext(
  config: RunConfig,
  given: string,
  options: RunContextOptions = {},
): Promise<RunContext> {
  // The preflight's outcome first: until it has confirmed the target (its ownership probe), no request goes out.
  const handed = await options.constraints
  // The run's global setup (or the CLI) validated the spec already.
  // Handed over by the run (loaded once in its main process), or loaded here for a context of its own.
  const profile = options.profile ?? (await profileOf(config))
  // The origin or the SCIM base URL `serve` prints: the same target.
  const target = scimTarget(given, profile.basePath)
  // One budget for the whole run, in which racing checks' requests go first (src/run/send-gate.ts).
  const secrets = secretsOf({ ...config, target })
  const sending = clientOf(config, target, { pooled: true })
  // --har: each exchange spooled as a HAR entry tagged with its check (the reporter writes the file at the end).
  const spool = config.har === null ? null : harSpoolPath(config)
  if (spool !== null) rmSync(spool, { force: true })
  const recorded = spool === null ? sending : harRecorded(sending, spool, secrets)
  const client = gatedClient(tripwire(recorded), config.concurrency)
  // Discovery's reads and the listing of the users that exist before the run, all at once.
  const [discovery, listing] = await Promise.all([discover(client, profile), listExisting(client, profile)])
  // The listing is the context's authenticated read: refused credentials or a wrong path stop the run here
  // (the CLI's preflight, src/run/preflight.ts, has judged the same before the run started).
  await judgeUsersRead(listing, {
    target,
    profile,
    withToken: authSettingsOf(config) !== null,
    scheme: authSettingsOf(config)?.scheme,
    readAt: (other) => readOnce(config, other, profile),
  }).catch(async (error: unknown) => {
    await client.close()
    throw error
  })
  const ledger = new UserLedger(
    config.reportDir,
    config.runId,
    { usersUrl: usersUrlOf(target, profile), embedded: options.embedded ?? false },
    scrubberOf({ ...config, target }),
  )
  const users = new TestUsers(client, profile, ledger, {
    ...config,
    filterSupported: discovery.capabilities?.filter === true,
  })
  users.recordExisting(listing)
  // Checks write only through the guard: no PUT or DELETE reaches a user the harness cannot prove it created.
  const guarded = guardedClient(client, users)
  // A --user-id user is shared by every worker: only the CLI's preflight, before them all, may experiment on it.
  const constraints =
    handed ??
    (config.userId !== null
      ? {
          ...NO_CONSTRAINTS,
          notes: ['constraints: not learned (with --user-id they are learned by the CLI before the run)'],
        }
      : await learnOnce(`${config.runId} ${target}`, () => learnWithTestUser(guarded, profile, users)))
  const rfcDefaults = coreCharacteristics()
  const context: CheckContext = {
    checkId: '',
    run: {
      runId: config.runId,
      seed: config.seed,
      runs: config.runs,
      maxShrinks: config.maxShrinks,
      path: config.path,
      strictRfc: config.strictRfc,
      authenticated: authSettingsOf(config) !== null,
      userId: config.userId,
      authScheme: authSettingsOf(config)?.scheme,
    },
    profile,
    client: guarded,
    discovery,
    users,
    constraints,
    attribute: (path) => {
      const key = path.toLowerCase()
      return discovery.declared?.get(key) ?? rfcDefaults.get(key)
    },
    contractOf: (check) => (typeof check.contract === 'function' ? check.contract(context) : (check.contract ?? 'rfc')),
  }
  return { check: context, users, secrets, close: () => client.close() }
}

async function discover(client: ScimClient, profile: VendorProfile): Promise<Discovery> {
  // Both reads at once; notes and exchanges in this order whichever answers first.
  const names = ['ServiceProviderConfig', 'Schemas']
  const exchanges = await Promise.all(
    names.map((name) => client.send({ method: 'GET', path: `${profile.basePath}/${name}` })),
  )
  const notes: string[] = []
  const [spc, schemas] = exchanges.map((exchange, i) => {
    const status = exchange.response?.status
    if (status === 200 && exchange.response!.body !== undefined) return exchange.response!.body
    notes.push(
      `/${names[i]} ${exchange.error ? `failed: ${exchange.error.message}` : `answered ${status}`}: ` +
        'what it would declare is taken as unknown',
    )
    return null
  })
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
