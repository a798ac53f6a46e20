import { HarnessError, oneLine } from '../errors.ts'
import { HELP } from './args.ts'
import { runCommand } from './run-command.ts'
import { serveCommand } from './serve-command.ts'
import { auditSpecCommand, listChecksCommand, mergeReportsCommand } from './spec-commands.ts'

/** The CLI: parse → command → exit code. Harness errors print one line and exit 2; nothing prints a stack. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest)
      case 'audit-spec':
        return await auditSpecCommand(rest)
      case 'serve':
        return await serveCommand(rest)
      case 'list-checks':
        return await listChecksCommand(rest)
      case 'merge-reports':
        return await mergeReportsCommand(rest)
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${HELP}\n`)
        return command === undefined ? 2 : 0
      default:
        process.stderr.write(`scim-conformance: unknown command "${command}". Commands: run, audit-spec, serve, list-checks, merge-reports (see --help).\n`)
        return 2
    }
  } catch (error) {
    const prefix = error instanceof HarnessError ? '' : 'internal error: '
    process.stderr.write(`scim-conformance: ${prefix}${oneLine(error)}\n`)
    return 2
  }
}
