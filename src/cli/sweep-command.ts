import { resolve } from 'node:path'
import { UsageError } from '../errors.ts'
import { loadProfile } from '../profile/vendor-profile.ts'
import { buildConfig, scimTarget } from '../run/config.ts'
import { usersUrlOf } from '../run/context.ts'
import { describeLeft, sweepEarlierRuns } from '../run/sweep.ts'
import { parseFlags, printHelp, SWEEP_OPTIONS } from './args.ts'
import { clientOf } from '../run/from-config.ts'
import { authFlags } from './auth-flags.ts'

/**
 * `sweep`: deletes the test users that earlier runs against a target left behind (a SIGKILL, a lost
 * connection), as their ledgers in the report folder list them. A user is deleted only while it still
 * carries the harness's mark; every DELETE is verified by a GET. Exit 0 when nothing is left, 1 when
 * some users remain (each named, with why).
 */
export async function sweepCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, SWEEP_OPTIONS)
  if (flags.help) return printHelp('sweep')
  if (typeof flags.target !== 'string')
    throw new UsageError('sweep needs --target URL: the target whose test users the ledgers list.')
  const config = buildConfig({
    vendor: flags.vendor,
    spec: flags.spec,
    target: flags.target,
    token: (flags.token as string | undefined) ?? process.env.SCIM_TOKEN,
    ...authFlags(flags),
    reportDir: flags['report-dir'],
    allowRemoteRefs: flags['allow-remote-refs'],
  })
  if (flags.vendor === undefined && flags.spec === undefined)
    throw new UsageError('sweep needs --vendor NAME or --spec FILE, as the run that left the users had.')
  const profile = await loadProfile({
    vendor: config.spec ? undefined : config.vendor,
    spec: config.spec ?? undefined,
    allowRemoteRefs: config.allowRemoteRefs,
  })
  // The origin or the SCIM base URL `serve` prints, as `run --target` takes them.
  const target = scimTarget(config.target!, profile.basePath)
  const usersUrl = usersUrlOf(target, profile)
  const client = clientOf(config, target)
  try {
    // Runs still in progress (their process is alive) are left alone; ledgers of other targets too.
    const swept = await sweepEarlierRuns(client, profile, resolve(config.reportDir), '', usersUrl)
    process.stdout.write(
      `scim-conformance sweep: ${swept.ledgers} ledger(s) for ${usersUrl}; ` +
        `removed ${swept.removed} test user(s); ${swept.left.length} remain\n`,
    )
    for (const line of describeLeft(swept.left, usersUrl)) process.stdout.write(`  ${line}\n`)
    return swept.left.length === 0 ? 0 : 1
  } finally {
    await client.close()
  }
}
