import { parseArgs } from 'node:util'
import { HarnessError, oneLine } from '../errors.ts'
import { TOOL_VERSION } from '../package-info.ts'
import { guardOutput, terminalLine } from '../report/terminal.ts'
import { activeSecrets, scrubSecrets, secretsOf, useSecrets, warnShortSecrets } from '../secrets.ts'
import { HELP } from './args.ts'

/**
 * The CLI: parse → command → exit code. Harness errors print one line and exit 2; nothing prints a
 * stack. Everything the process prints passes the secret scrubber last.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  const secrets = secretsOf(secretSources(rest))
  useSecrets(secrets)
  // For the life of the process: vitest's logger and late writes pass through it too.
  guardOutput([process.stdout, process.stderr])
  if (command === 'run') warnShortSecrets(secrets)
  try {
    switch (command) {
      // Each command's modules load when it runs: --help and --version start in a fraction of the time.
      case 'run':
        return await (await import('./run-command.ts')).runCommand(rest)
      case 'audit-spec':
        return await (await import('./spec-commands.ts')).auditSpecCommand(rest)
      case 'serve':
        return await (await import('./serve-command.ts')).serveCommand(rest)
      case 'list-checks':
        return await (await import('./spec-commands.ts')).listChecksCommand(rest)
      case 'merge-reports':
        return await (await import('./spec-commands.ts')).mergeReportsCommand(rest)
      case 'sweep':
        return await (await import('./sweep-command.ts')).sweepCommand(rest)
      case '--version':
      case '-V':
        process.stdout.write(`${TOOL_VERSION}\n`)
        return 0
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${HELP}\n`)
        return command === undefined ? 2 : 0
      default:
        process.stderr.write(
          `scim-conformance: unknown command "${command}". ` +
            'Commands: run, audit-spec, serve, list-checks, merge-reports, sweep (see --help).\n',
        )
        return 2
    }
  } catch (error) {
    const prefix = error instanceof HarnessError ? '' : 'internal error: '
    // The message may quote the target (a body, a header): escaped for the terminal, then scrubbed.
    process.stderr.write(`scim-conformance: ${prefix}${scrubSecrets(terminalLine(oneLine(error)), activeSecrets())}\n`)
    return 2
  }
}

/**
 * The secrets on the command line and in the environment, read before any command parses its
 * flags, so that even a usage error that quotes one is scrubbed. The commands build the same list
 * from their config (`secretsOf(config)`) for what they write.
 */
function secretSources(args: string[]): { token: string | undefined; target: string | undefined } {
  const { values } = parseArgs({
    args,
    options: { token: { type: 'string' }, target: { type: 'string' } },
    strict: false,
    allowPositionals: true,
  })
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined)
  return { token: text(values.token) ?? text(process.env.SCIM_TOKEN), target: text(values.target) }
}
