import { NO_CONSTRAINTS, type ServerConstraints } from '../checks/context.ts'
import { parseServiceProviderConfig } from '../discovery/index.ts'
import { oneLine, TransportError } from '../errors.ts'
import type { ScimClient } from '../http/client.ts'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import { scrubberOf } from '../secrets.ts'
import type { RunConfig } from './config.ts'
import { usersUrlOf } from './context.ts'
import { clientOf } from './from-config.ts'
import { learnWithTestUser } from './learn-constraints.ts'
import { UserLedger } from './ledger.ts'
import { preflightTarget } from './preflight.ts'
import { ForeignUserError, guardedClient, TestUsers } from './test-users.ts'

/**
 * One authenticated read before the run (src/run/preflight.ts), so an unreachable target, refused credentials or a
 * wrong --target are one exit-2 line and not 60 failed checks, and no report is written; then the ownership probe,
 * which learns the server's input constraints once for the run.
 */
export async function preflight(
  config: RunConfig,
  profile: VendorProfile,
  embedded: boolean,
  afterRead: () => void = () => {},
): Promise<ServerConstraints> {
  await preflightTarget(config, config.target!, profile)
  afterRead()
  const client = clientOf(config, config.target!)
  try {
    const exchange = await client.send({ method: 'GET', path: `${profile.basePath}/ServiceProviderConfig` })
    if (exchange.error) throw new TransportError(`cannot reach the target ${config.target}: ${exchange.error.message}`)
    return await ownershipProbe(
      client,
      config,
      profile,
      exchange.response?.status === 200 ? exchange.response.body : null,
      embedded,
    )
  } finally {
    await client.close()
  }
}

/**
 * Creates one test user from the smallest payload the vendor allows and, before any check, learns the
 * server's input constraints on it (src/run/learn-constraints.ts; with --user-id on that user, put back
 * after), then deletes it: a target that
 * answers a creation with another user's id or body stops the run here (exit 2, one line), before a
 * single check has been tried. Any other refusal of the creation is left to the checks, which report it
 * in their own terms (the constraints then say that nothing was learned, and why).
 */
async function ownershipProbe(
  client: ScimClient,
  config: RunConfig,
  profile: VendorProfile,
  spc: unknown,
  embedded: boolean,
): Promise<ServerConstraints> {
  const ledger = new UserLedger(
    config.reportDir,
    config.runId,
    { usersUrl: usersUrlOf(config.target!, profile), embedded },
    scrubberOf(config),
  )
  const filterSupported = spc !== null && parseServiceProviderConfig(spc).filter
  const users = new TestUsers(client, profile, ledger, { ...config, filterSupported })
  await users.snapshotExisting()
  try {
    // With --user-id the experiments run on that user (put back after them), before any check uses it.
    return await learnWithTestUser(guardedClient(client, users), profile, users, { borrowed: config.userId !== null })
  } catch (error) {
    if (error instanceof ForeignUserError) throw error
    return { ...NO_CONSTRAINTS, notes: [`constraints: not learned (${oneLine(error)})`] }
  }
}
