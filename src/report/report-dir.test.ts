import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { UsageError } from '../errors.ts'
import { ensureReportDir, reportDirProblem } from './report-dir.ts'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'scimc-report-dir-'))
  await writeFile(join(root, 'file'), 'x')
})
afterAll(() => rm(root, { recursive: true, force: true }))

describe('reportDirProblem: given a --report-dir, want one line or null', () => {
  // [given, want]
  const TABLE: [string, RegExp | null][] = [
    ['/proc/x', /\/proc is a kernel file system/],
    ['/proc', /\/proc is a kernel file system/],
    ['/sys/fs/x/y', /\/sys is a kernel file system/],
    ['/dev/scimc', /\/dev is a kernel file system/],
    ['<root>/proc/x', null],
    ['<root>/new/deeper', null],
    ['<root>', null],
    ['<root>/file', /exists and is a file, not a folder/],
    ['<root>/file/below', /file is a file, so no folder can be made below it/],
  ]
  test.each(TABLE)('%s', (given, want) => {
    const problem = reportDirProblem(given.replace('<root>', root))
    if (want === null) expect(problem).toBeNull()
    else expect(problem).toMatch(want)
  })

  test('a symlink into /proc is refused by where it leads', async () => {
    const { symlink } = await import('node:fs/promises')
    await symlink('/proc/self', join(root, 'link'))
    expect(reportDirProblem(join(root, 'link', 'x'))).toMatch(/\/proc is a kernel file system/)
  })
})

describe('ensureReportDir', () => {
  test('makes the missing folders one level at a time', async () => {
    const dir = join(root, 'a', 'b', 'c')
    ensureReportDir(dir)
    expect((await stat(dir)).isDirectory()).toBe(true)
    ensureReportDir(dir)
  })

  test('a bad folder is a UsageError (exit 2), never an internal error', () => {
    expect(() => ensureReportDir('/proc/scimc-x')).toThrow(UsageError)
    expect(() => ensureReportDir(join(root, 'file'))).toThrow(UsageError)
  })
})
