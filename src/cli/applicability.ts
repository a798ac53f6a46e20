import { type CheckContext, type Discovery, NO_CONSTRAINTS } from '../checks/context.ts'
import type { CheckDefinition } from '../checks/define-check.ts'
import { userAttributeCharacteristics } from '../discovery/index.ts'
import type { Capabilities } from '../discovery/parse-service-provider-config.ts'
import type { ScimClient } from '../http/client.ts'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import type { AttributeDefinition } from '../scim/attribute.ts'
import { CORE_USER_SCHEMA_DEF, ENTERPRISE_USER_SCHEMA_DEF } from '../scim/core-schema.ts'

/** Whether a check runs for a vendor's document, before any target is known. */
export type Applicability =
  | { kind: 'applies' }
  /** Skipped by the document itself: whatever the target declares, the check has nothing to test. */
  | { kind: 'skipped'; reason: string }
  /** Decided by what the target declares (/ServiceProviderConfig, /Schemas) or by the run (a token). */
  | { kind: 'depends'; reason: string }

/**
 * A check's `skipIf` asks a run's context; without a target it is asked of imagined targets. Two ordinary ones: a
 * target declaring every feature in /ServiceProviderConfig and RFC 7643's User and Enterprise User in /Schemas, with
 * a token in the run; and one declaring nothing (neither document, no token). Neither skips it: it applies. And two
 * extremes, which declare every writable attribute immutable, or returned "never". Every one of them skips it for
 * the same reason: the document decides (skipped). Otherwise what the target declares, or the run's token, decides.
 */
export function applicability(check: CheckDefinition<unknown>, profile: VendorProfile): Applicability {
  if (!check.skipIf) return { kind: 'applies' }
  const ask = (ctx: CheckContext): string | null => {
    try {
      return check.skipIf!({ ...ctx, checkId: check.id })
    } catch (error) {
      return `undecided without a target (${error instanceof Error ? error.message : String(error)})`
    }
  }
  const everything = ask(imaginedTarget(profile, rfcDeclarations()))
  const nothing = ask(imaginedTarget(profile, null))
  if (everything === null && nothing === null) return { kind: 'applies' }
  const extremes = [
    ask(imaginedTarget(profile, rfcDeclarations({ mutability: 'immutable' }))),
    ask(imaginedTarget(profile, rfcDeclarations({ returned: 'never' }))),
  ]
  if (everything !== null && [nothing, ...extremes].every((r) => r === everything))
    return { kind: 'skipped', reason: everything }
  return { kind: 'depends', reason: (nothing ?? everything ?? extremes.find((r) => r !== null))! }
}

/** RFC 7643's User and Enterprise User characteristics; `change` applied to every attribute clients may write. */
function rfcDeclarations(
  change: Partial<Pick<AttributeDefinition, 'mutability' | 'returned'>> = {},
): Map<string, AttributeDefinition> {
  const map = userAttributeCharacteristics([CORE_USER_SCHEMA_DEF, ENTERPRISE_USER_SCHEMA_DEF])
  for (const [path, a] of map) if (a.mutability !== 'readOnly') map.set(path, { ...a, ...change })
  return map
}

const ALL_FEATURES: Capabilities = {
  patch: true,
  bulk: true,
  filter: true,
  changePassword: true,
  sort: true,
  etag: true,
  authenticationSchemes: ['oauthbearertoken'],
  recognized: true,
  raw: {},
}

/** A context with no server behind it: skipIf reads the profile, the discovery and the run, and sends nothing. */
function imaginedTarget(profile: VendorProfile, declared: Map<string, AttributeDefinition> | null): CheckContext {
  const declaresEverything = declared !== null
  const rfc = rfcDeclarations()
  const discovery: Discovery = {
    capabilities: declaresEverything ? ALL_FEATURES : null,
    declared,
    notes: [],
    exchanges: [],
  }
  const noServer = (): never => {
    throw new Error('no target: list-checks sends no request')
  }
  const client: ScimClient = { send: noServer, exchangeCount: 0, close: async () => {} }
  const context: CheckContext = {
    checkId: '',
    run: {
      runId: 'list',
      seed: 0,
      runs: 1,
      maxShrinks: 0,
      path: null,
      strictRfc: false,
      authenticated: declaresEverything,
    },
    profile,
    client,
    discovery,
    users: {
      usersPath: () => `${profile.basePath}/Users`,
      userPath: (id) => `${profile.basePath}/Users/${id}`,
      create: noServer,
      remove: noServer,
      removeOne: noServer,
      postUser: noServer,
      adopt: noServer,
      probeAbsent: noServer,
      isKnown: () => false,
    },
    constraints: NO_CONSTRAINTS,
    attribute: (path) => {
      const key = path.toLowerCase()
      return declared?.get(key) ?? rfc.get(key)
    },
    contractOf: (c) => (typeof c.contract === 'function' ? c.contract(context) : (c.contract ?? 'rfc')),
  }
  return context
}
