import { accessSync, constants, mkdirSync, realpathSync, statSync } from 'node:fs'
import { dirname, resolve, sep } from 'node:path'
import { UsageError } from '../errors.ts'

/**
 * Kernel file systems: no report belongs there, and Node 20's recursive mkdir never returns on /proc
 * (mkdir answers ENOENT under an existing parent, and the recursion retries forever at 100% CPU).
 */
const KERNEL_ROOTS = ['/proc', '/sys', '/dev']

const under = (path: string, root: string) => path === root || path.startsWith(`${root}${sep}`)

/** The nearest folder of `path` (or `path` itself) that exists, and the parts below it that do not. */
function existingAncestor(path: string): { existing: string; missing: string[] } {
  const missing: string[] = []
  let current = path
  for (;;) {
    try {
      statSync(current)
      return { existing: current, missing }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return { existing: current, missing }
      const parent = dirname(current)
      if (parent === current) return { existing: current, missing }
      missing.unshift(current)
      current = parent
    }
  }
}

/**
 * Why reports cannot be written to `dir`, in one line, or null. Creates nothing: a path under /proc,
 * /sys or /dev (also through a symlink), a file where a folder should be, or a folder this process
 * cannot write to is refused before any command starts its work.
 */
export function reportDirProblem(dir: string): string | null {
  const path = resolve(dir)
  const shown = `--report-dir ${dir}`
  const kernel = (p: string) => KERNEL_ROOTS.find((root) => under(p, root))
  const { existing } = existingAncestor(path)
  let real = existing
  try {
    real = realpathSync(existing)
  } catch {
    // Unreadable: judged by its name alone below.
  }
  const root = kernel(path) ?? kernel(real)
  if (root) return `${shown}: ${root} is a kernel file system, not a place for reports; choose another folder`
  let info: ReturnType<typeof statSync>
  try {
    info = statSync(existing)
  } catch (error) {
    return `${shown}: cannot use ${existing} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`
  }
  if (!info.isDirectory())
    return existing === path
      ? `${shown}: exists and is a file, not a folder`
      : `${shown}: ${existing} is a file, so no folder can be made below it`
  try {
    accessSync(existing, constants.W_OK | constants.X_OK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'EROFS' ? 'is on a read-only file system' : 'is not writable by this user'
    return `${shown}: ${existing === path ? 'the folder' : existing} ${why}`
  }
  return null
}

/**
 * Makes the report folder one level at a time (never a recursive mkdir: see KERNEL_ROOTS), after
 * {@link reportDirProblem}; every failure is one line (a UsageError: exit 2), never an internal error.
 */
export function ensureReportDir(dir: string): void {
  const problem = reportDirProblem(dir)
  if (problem) throw new UsageError(problem)
  for (const part of existingAncestor(resolve(dir)).missing) {
    try {
      mkdirSync(part)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EEXIST' && statSync(part, { throwIfNoEntry: false })?.isDirectory()) continue
      throw new UsageError(`--report-dir ${dir}: cannot create ${part} (${code ?? oneWord(error)})`)
    }
  }
}

const oneWord = (error: unknown) => (error instanceof Error ? error.message.split('\n')[0] : String(error))
