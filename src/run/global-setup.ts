import { randomBytes } from 'node:crypto'
import type { TestProject } from 'vitest/node'
import { loadProfile } from '../profile/vendor-profile.ts'
import { startReferenceServer, type ReferenceServer } from '../reference/server.ts'
import { createScimClient } from '../http/client.ts'
import { configFromEnv } from './config.ts'
import { UserLedger } from './ledger.ts'
import { scrubberOf } from '../secrets.ts'
import { terminalLine } from '../report/terminal.ts'
import { TestUsers } from './test-users.ts'
import { usersUrlOf } from './context.ts'
import { describeLeft, sweepEarlierRuns, sweepThisRun } from './sweep.ts'
import { join } from 'node:path'

/**
 * Vitest global setup of the conformance suites. Without SCIM_TARGET it starts the embedded reference
 * server for the vendor (the default main job); at the end it deletes every test user the run left
 * behind, whatever happened, and restores a `--user-id` user.
 */
export default async function setup(_project: TestProject): Promise<() => Promise<void>> {
  const config = configFromEnv()
  let server: ReferenceServer | null = null
  if (!process.env.SCIM_TARGET) {
    const profile = await loadProfile({ vendor: config.spec ? undefined : config.vendor, spec: config.spec ?? undefined, allowRemoteRefs: config.allowRemoteRefs })
    // The reference server always demands a token and supports ETags, so that the auth and ETag checks run too.
    const token = config.token ?? randomBytes(16).toString('hex')
    server = await startReferenceServer({ profile, token, etag: true })
    process.env.SCIM_TARGET = server.origin
    process.env.SCIM_TOKEN = token
    process.env.SCIM_EMBEDDED = '1'
  }
  const ended = configFromEnv()
  const target = process.env.SCIM_TARGET!
  const profile = await loadProfile({ vendor: ended.spec ? undefined : ended.vendor, spec: ended.spec ?? undefined, validate: server === null, allowRemoteRefs: ended.allowRemoteRefs })
  const client = createScimClient({ baseUrl: target, token: ended.token, timeoutMs: ended.timeoutMs, deadlineMs: ended.deadlineMs })
  const usersUrl = usersUrlOf(target, profile)
  // Test users that earlier runs left on this target (a SIGKILL, a lost connection) go first.
  const earlier = await sweepEarlierRuns(client, profile, ended.reportDir, ended.runId, usersUrl)
  if (earlier.removed > 0) process.stderr.write(`scim-conformance: removed ${earlier.removed} test user(s) left by earlier runs (ledgers in ${join(ended.reportDir, '.ledger')})\n`)
  for (const line of describeLeft(earlier.left, usersUrl)) process.stderr.write(`scim-conformance: warning: ${terminalLine(line)}\n`)
  const users = new TestUsers(client, profile, new UserLedger(ended.reportDir, ended.runId, null, scrubberOf({ token: ended.token, target })), ended)
  // A --user-id user is saved before any check touches it and put back after the last one.
  const saved = ended.userId ? await users.saveUser(ended.userId) : null
  return async () => {
    try {
      // The reporter swept at the end of the run; this catches a run whose reporter never got there.
      await sweepThisRun(client, profile, ended.reportDir, ended.runId)
      if (saved && ended.userId) {
        const restored = await users.restoreUser(ended.userId, saved)
        const ok = restored.response && restored.response.status < 300
        process.stderr.write(terminalLine(ok ? `Restored --user-id ${ended.userId} to its saved state.` : `Could not restore --user-id ${ended.userId}: ${restored.error?.message ?? restored.response?.status}. Saved state: ${JSON.stringify(saved)}`) + '\n')
      }
    } finally {
      await client.close()
      await server?.close()
    }
  }
}
