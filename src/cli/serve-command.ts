import { once } from 'node:events'
import { UsageError } from '../errors.ts'
import { loadProfile } from '../profile/vendor-profile.ts'
import { startReferenceServer } from '../reference/server.ts'
import { parseFlags, printHelp, SERVE_OPTIONS } from './args.ts'

/** `serve`: the embedded reference server on its own, until Ctrl-C. */
export async function serveCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, SERVE_OPTIONS)
  if (flags.help) return printHelp('serve')
  // One server serves one API: named, as for `run --target` and `sweep` (the rule in --help).
  if (flags.vendor === undefined && flags.spec === undefined)
    throw new UsageError(
      'serve needs --vendor NAME (lightdash, maia, cube, generic) or --spec FILE: which API to serve?',
    )
  if (flags.vendor === 'all')
    throw new UsageError('serve starts one server: --vendor takes one of lightdash, maia, cube, generic.')
  const port = flags.port === undefined ? 0 : Number(flags.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a whole number from 0 to 65535, got "${String(flags.port)}".`)
  const profile = await loadProfile({
    vendor: flags.spec ? undefined : (flags.vendor as string),
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
  // Listening for the stop signal before the URL is printed: whoever reads it may signal at once.
  const stopped = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')])
  process.stdout.write(`${server.baseUrl}\n`)
  process.stderr.write(
    `SCIM reference server (${profile.name}) at ${server.baseUrl} — ` +
      `${token ? 'bearer token required' : 'no authentication'}${flags.etag ? ', ETags on' : ''}` +
      `${constrained ? ', constrained (RFC-permitted input limits)' : ''}. Ctrl-C stops it.\n`,
  )
  await stopped
  await server.close()
  return 0
}
