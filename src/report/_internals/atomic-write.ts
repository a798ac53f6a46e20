import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/**
 * Writes `text` to a fresh temporary file next to `path`, flushes it, then renames it over `path`,
 * so a reader (a CI artifact upload, a browser) never sees a half-written report, and a symlink
 * planted at `path` is replaced, never written through (rename acts on the link itself). The
 * temporary file is created with O_EXCL (`wx`): a file or symlink planted under its name makes the
 * open fail rather than be followed, and a new random name is tried.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(12).toString('hex')}.tmp`)
    let file: Awaited<ReturnType<typeof open>>
    try {
      file = await open(temp, 'wx', 0o644)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 3) continue
      throw error
    }
    try {
      try {
        await file.writeFile(text, 'utf8')
        await file.sync()
      } finally {
        await file.close()
      }
      await rename(temp, path)
      return
    } catch (error) {
      await rm(temp, { force: true })
      throw error
    }
  }
}
