import { existsSync } from 'node:fs'
import type { ScimClient } from '../http/client.ts'
import { parseServiceProviderConfig } from '../discovery/index.ts'
import type { RunConfig } from './config.ts'
import { usersUrlOf } from './context.ts'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import { runInProgress, UserLedger } from './ledger.ts'
import { TestUsers } from './test-users.ts'
import { clientOf, profileOf } from './from-config.ts'

/** A test user a sweep could not remove, and why. */
export interface LeftUser {
  runId: string
  id: string
  userName: string
  problem: string
}

/** What a sweep did. */
export interface SweepResult {
  removed: number
  left: LeftUser[]
}

/**
 * Deletes what one run's ledger says is left, with the ownership rules of {@link TestUsers.removeOne}:
 * a user is deleted only while it carries that run's mark, and counts as removed only when a GET then
 * answers 404. The ledger file goes once nothing in it needs the harness any more.
 */
export async function sweepLedger(
  client: ScimClient,
  profile: VendorProfile,
  ledger: UserLedger,
  filter = false,
): Promise<SweepResult> {
  const users = new TestUsers(client, profile, ledger, {
    runId: ledger.runId,
    seed: 0,
    userId: null,
    filterSupported: filter,
  })
  const { removed, left } = await users.sweep()
  return { removed, left: left.map((u) => ({ runId: ledger.runId, ...u })) }
}

/**
 * Sweeps the ledgers that earlier runs left in the report folder (a SIGKILL, a double Ctrl-C, a lost
 * connection): those of the same target, whose run is no longer in progress. Ledgers of the embedded
 * reference server are dropped (its users ended with the process that served them); ledgers of other
 * targets are kept for a run (or `scim-conformance sweep`) against them.
 */
export async function sweepEarlierRuns(
  client: ScimClient,
  profile: VendorProfile,
  reportDir: string,
  runId: string,
  usersUrl: string,
  /**
   * Awaited before the first request to the target; false sweeps nothing. A run whose preflight is still out
   * passes it: no user is deleted before the ownership probe has confirmed the target. @defaultValue always ready
   */
  ready: () => Promise<boolean> = () => Promise.resolve(true),
): Promise<SweepResult & { ledgers: number }> {
  const result: SweepResult & { ledgers: number } = { removed: 0, left: [], ledgers: 0 }
  let filter: boolean | null = null
  let go: Promise<boolean> | null = null
  for (const ledger of UserLedger.others(reportDir, runId)) {
    const head = ledger.head()
    if (head === null || runInProgress(head)) continue
    if (head.embedded) {
      ledger.discard()
      continue
    }
    if (head.usersUrl !== usersUrl) continue
    go ??= ready()
    if (!(await go)) return result
    result.ledgers++
    filter ??= await filterSupported(client, profile)
    const swept = await sweepLedger(client, profile, ledger, filter)
    result.removed += swept.removed
    result.left.push(...swept.left)
  }
  return result
}

/** One line per user a sweep left, with how to remove it by hand. */
export function describeLeft(left: LeftUser[], usersUrl: string): string[] {
  return left.map((u) =>
    u.id === ''
      ? `a test user with userName ${JSON.stringify(u.userName)} (run ${u.runId}) may exist: ${u.problem}. ` +
        `Look for it with: curl -H "Authorization: Bearer $SCIM_TOKEN" ` +
        `'${usersUrl}?filter=${encodeURIComponent(`userName eq "${u.userName}"`)}'`
      : `test user ${u.id} (userName ${JSON.stringify(u.userName)}, run ${u.runId}) remains: ${u.problem}. ` +
        `Remove it with: curl -X DELETE -H "Authorization: Bearer $SCIM_TOKEN" ` +
        `'${usersUrl}/${encodeURIComponent(u.id)}'`,
  )
}

/** Whether the target's /ServiceProviderConfig declares filtering: what lets a sweep look for a user by userName. */
export async function filterSupported(client: ScimClient, profile: VendorProfile): Promise<boolean> {
  const spc = await client.send({ method: 'GET', path: `${profile.basePath}/ServiceProviderConfig` })
  return (
    spc.response?.status === 200 &&
    spc.response.body !== undefined &&
    parseServiceProviderConfig(spc.response.body).filter
  )
}

/** The end of a run: deletes what this run's ledger says is left (every check is done or abandoned by then). */
export async function sweepThisRun(
  client: ScimClient,
  profile: VendorProfile,
  reportDir: string,
  runId: string,
): Promise<SweepResult> {
  return sweepLedger(client, profile, new UserLedger(reportDir, runId))
}

/** What report.json says of the end-of-run sweep. */
export interface RunCleanup {
  removed: number
  left: LeftUser[]
  /** The ledger that still lists them (for the next run's sweep or `scim-conformance sweep`), null if none is left. */
  ledger: string | null
  /** One warning line per user left, with the command that removes it by hand. */
  warnings: string[]
}

/** The sweep at the end of a run, with its own client: what the reporter records before it writes the reports. */
export async function finishRun(config: RunConfig, target: string): Promise<RunCleanup> {
  const profile = await profileOf(config)
  const client = clientOf(config, target)
  try {
    const ledger = new UserLedger(config.reportDir, config.runId)
    const { removed, left } = await sweepLedger(
      client,
      profile,
      ledger,
      ledger.unconfirmed().length > 0 && (await filterSupported(client, profile)),
    )
    return {
      removed,
      left,
      ledger: existsSync(ledger.file) ? ledger.file : null,
      warnings: describeLeft(left, usersUrlOf(target, profile)),
    }
  } finally {
    await client.close()
  }
}
