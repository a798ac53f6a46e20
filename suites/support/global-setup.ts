import { randomBytes } from 'node:crypto'
import type { TestProject } from 'vitest/node'
import { startReferenceServer, type ReferenceServer } from '../../src/reference/server.ts'
import { clientOf, profileOf } from '../../src/run/from-config.ts'
import '../../src/run/provided.ts'
import { UserLedger } from '../../src/run/ledger.ts'
import { scrubberOf } from '../../src/secrets.ts'
import { terminalLine } from '../../src/report/terminal.ts'
import { TestUsers } from '../../src/run/test-users.ts'
import { usersUrlOf } from '../../src/run/context.ts'
import { describeLeft, sweepEarlierRuns, sweepThisRun } from '../../src/run/sweep.ts'
import { preflightOf } from '../../src/run/preflight-handoff.ts'
import { join } from 'node:path'

/**
 * Vitest global setup of the conformance suites, in the main process: the one place the embedded
 * reference server starts (when the run has no target: the default main job), handing its address and
 * token on through `provide`. Before the checks it sweeps what earlier runs left on the target and
 * saves a `--user-id` user; at the end it deletes every test user the run left, whatever happened,
 * and restores the `--user-id` user.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let config = project.getProvidedContext().run
  const profile = await profileOf(config, { validate: true })
  // Once per run: the workers inject it instead of loading the spec again.
  project.provide('profile', profile)
  let server: ReferenceServer | null = null
  if (config.target === null) {
    // The reference server always demands a token and supports ETags, so that the auth and ETag checks run too.
    const token = config.token ?? randomBytes(16).toString('hex')
    server = await startReferenceServer({ profile, token, etag: true })
    config = { ...config, target: server.origin, token }
    project.provide('run', config)
    project.provide('embedded', true)
  }
  const target = config.target!
  const client = clientOf(config, target)
  const usersUrl = usersUrlOf(target, profile)
  // The CLI's preflight may still be running (src/run/preflight-handoff.ts): nothing below writes to the target
  // before it has confirmed it. Whether it passed (true without one).
  const key = project.getProvidedContext().preflight
  const pending = key === undefined ? undefined : preflightOf(key)
  const confirmed = () =>
    pending
      ? pending.then(
          () => true,
          () => false,
        )
      : Promise.resolve(true)
  // Test users that earlier runs left on this target (a SIGKILL, a lost connection) go first.
  const earlier = await sweepEarlierRuns(client, profile, config.reportDir, config.runId, usersUrl, confirmed)
  if (earlier.removed > 0)
    process.stderr.write(
      `scim-conformance: removed ${earlier.removed} test user(s) left by earlier runs ` +
        `(ledgers in ${join(config.reportDir, '.ledger')})\n`,
    )
  for (const line of describeLeft(earlier.left, usersUrl))
    process.stderr.write(`scim-conformance: warning: ${terminalLine(line)}\n`)
  const users = new TestUsers(
    client,
    profile,
    new UserLedger(config.reportDir, config.runId, null, scrubberOf(config)),
    config,
  )
  // A --user-id user is saved before any check touches it and put back after the last one.
  const userId = config.userId
  // After the preflight's experiments on it: they put it back as they found it.
  const saved = userId && (await confirmed()) ? await users.saveUser(userId) : null
  const reportDir = config.reportDir
  const runId = config.runId
  return async () => {
    try {
      // The reporter swept at the end of the run; this catches a run whose reporter never got there.
      await sweepThisRun(client, profile, reportDir, runId)
      if (saved && userId) {
        const restored = await users.restoreUser(userId, saved)
        const ok = restored.response && restored.response.status < 300
        process.stderr.write(
          `${terminalLine(
            ok
              ? `Restored --user-id ${userId} to its saved state.`
              : `Could not restore --user-id ${userId}: ${restored.error?.message ?? restored.response?.status}. ` +
                  `Saved state: ${JSON.stringify(saved)}`,
          )}\n`,
        )
      }
    } finally {
      await client.close()
      await server?.close()
    }
  }
}
