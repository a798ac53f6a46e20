import { parseArgs } from 'node:util'
import { HarnessError, oneLine, UsageError } from '../errors.ts'
import { TOOL_VERSION } from '../package-info.ts'
import { guardOutput, terminalLine } from '../report/terminal.ts'
import { activeSecrets, scrubSecrets, type SecretSources, secretsOf, useSecrets, warnShortSecrets } from '../secrets.ts'
import { reportDirProblem } from '../report/report-dir.ts'
import { COMMAND_HELP, type CommandName, HELP, printHelp } from './args.ts'

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
    // Each command's own help, before anything else on its line is judged: `merge-reports --help` is help.
    if (isCommand(command) && (rest.includes('--help') || rest.includes('-h'))) return printHelp(command)
    if (command === 'help' && isCommand(rest[0])) return printHelp(rest[0])
    if (isCommand(command)) refuseBadPaths(command, rest)
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
      case 'diff':
        return await (await import('./diff-command.ts')).diffCommand(rest)
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
            'Commands: run, audit-spec, serve, list-checks, merge-reports, sweep, diff (see --help).\n',
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

const isCommand = (name: string | undefined): name is CommandName =>
  name !== undefined && Object.hasOwn(COMMAND_HELP, name)

/**
 * Paths every command reads the same way, judged before the command starts: a URL given as --spec, and a
 * report folder that cannot be written (under /proc, /sys, /dev; a file; read-only). One line each, exit 2;
 * nothing is created here (the commands make the folder when they write to it).
 */
function refuseBadPaths(command: CommandName, args: string[]): void {
  const { values } = parseArgs({
    args,
    options: { spec: { type: 'string' }, 'report-dir': { type: 'string' } },
    strict: false,
    allowPositionals: true,
  })
  const spec = values.spec
  if (typeof spec === 'string' && /^[a-z][a-z\d+.-]*:\/\//i.test(spec.trim()))
    throw new UsageError(
      `--spec ${spec}: a URL; --spec reads a local file (download the document first, e.g. curl -o spec.yaml URL).`,
    )
  const dir = values['report-dir']
  if (command !== 'run' && command !== 'merge-reports' && !(command === 'sweep' && typeof dir === 'string')) return
  const problem = reportDirProblem(typeof dir === 'string' && dir.trim() !== '' ? dir.trim() : 'reports')
  if (problem) throw new UsageError(problem)
}

/**
 * The secrets on the command line and in the environment, read before any command parses its
 * flags, so that even a usage error that quotes one is scrubbed. The commands build the same list
 * from their config (`secretsOf(config)`) for what they write.
 */
function secretSources(args: string[]): SecretSources {
  const { values } = parseArgs({
    args,
    options: { token: { type: 'string' }, target: { type: 'string' }, basic: { type: 'boolean' } },
    strict: false,
    allowPositionals: true,
  })
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined)
  const { SCIM_CLIENT_SECRET: clientSecret, SCIM_BASIC_USER: user, SCIM_BASIC_PASSWORD: password } = process.env
  return {
    token: text(values.token) ?? text(process.env.SCIM_TOKEN),
    target: text(values.target),
    oauth: clientSecret ? { clientSecret } : null,
    basic: values.basic === true && user && password !== undefined ? { user, password } : null,
  }
}
