import { once } from 'node:events'
import { UsageError } from '../errors.ts'
import { loadProfile } from '../profile/vendor-profile.ts'
import { startReferenceServer } from '../reference/server.ts'
import { HELP, parseFlags, SERVE_OPTIONS } from './args.ts'

/** `serve`: the embedded reference server on its own, until Ctrl-C. */
export async function serveCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, SERVE_OPTIONS)
  if (flags.help) {
    process.stdout.write(`${HELP}\n`)
    return 0
  }
  const port = flags.port === undefined ? 0 : Number(flags.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a whole number from 0 to 65535, got "${String(flags.port)}".`)
  const profile = await loadProfile({
    vendor: (flags.vendor as string | undefined) ?? (flags.spec ? undefined : 'cube'),
    spec: flags.spec as string | undefined,
  })
  const token = (flags.token as string | undefined) ?? process.env.SCIM_TOKEN ?? null
  const constrained = flags.constrained === true
  const server = await startReferenceServer({
    profile,
    token,
    etag: flags.etag === true,
    constrained,
    port,
    host: (flags.host as string | undefined) ?? '127.0.0.1',
  })
  process.stdout.write(`${server.baseUrl}\n`)
  process.stderr.write(
    `SCIM reference server (${profile.name}) at ${server.baseUrl} — ` +
      `${token ? 'bearer token required' : 'no authentication'}${flags.etag ? ', ETags on' : ''}` +
      `${constrained ? ', constrained (RFC-permitted input limits)' : ''}. Ctrl-C stops it.\n`,
  )
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')])
  await server.close()
  return 0
}
