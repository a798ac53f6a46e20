import { execFile, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import * as library from '../../src/index.ts'
import type { ConformanceReport } from '../../src/report/types.ts'

/**
 * The package as a user gets it: compiled, packed, installed from the tarball into an empty project, and run from
 * there with no TypeScript loader. Every report of a relative --report-dir lands in the project, never in the package.
 */

const run = promisify(execFile)
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PACKAGE = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string }
const TOKEN = 'packed-package-token'

let work = ''
let project = ''
let installed = ''
let bin = ''

/** A command in the project, as a user runs it; the exit code and both outputs (never rejects on a non-zero exit). */
async function inProject(file: string, args: string[], env: Record<string, string> = {}, timeout = 120_000) {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: project, env: { ...process.env, ...env }, timeout })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string }
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

/** Files under a folder, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile())
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'scim-packed-'))
  // Built into a staging copy (never the repository's own dist/, which another run may be using): what `npm pack`
  // puts in the tarball from the package.json `files` list. Types are checked by `npm test`'s tsc, not here.
  const stage = join(work, 'stage')
  await run(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--noCheck',
      '--outDir',
      join(stage, 'dist'),
    ],
    { cwd: REPO_ROOT },
  )
  for (const f of ['package.json', 'README.md', 'LICENSE', 'specs'])
    cpSync(join(REPO_ROOT, f), join(stage, f), { recursive: true })
  // Bundled as `npm run build` bundles it (esbuild, from the repository's node_modules).
  const tools = { ...process.env, PATH: `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH}` }
  for (const script of ['bundle-worker', 'bundle-main'])
    await run('npm', ['run', '--silent', script], {
      cwd: stage,
      env: { ...tools, NODE_PATH: join(REPO_ROOT, 'node_modules') },
    })
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: stage })
  const tarball = join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0].filename)
  project = join(work, 'project')
  cpSync(join(REPO_ROOT, 'specs/cube.yaml'), join(project, 'my-api.yaml'))
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true }))
  // From the local npm cache where it can (the registry only for what the cache lacks).
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: project })
  installed = join(project, 'node_modules', PACKAGE.name)
  bin = join(project, 'node_modules/.bin/scim-conformance')
}, 600_000)

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('the packed package, installed into an empty project', () => {
  test('ships compiled JavaScript, its specs and a LICENSE: no TypeScript, tests, benchmark or proofs', () => {
    const files = filesUnder(installed)
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'package.json',
        'specs/cube.yaml',
        'dist/src/cli/cli.js',
        'dist/src/index.d.ts',
      ]),
    )
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([])
    expect(files.filter((f) => /^(test|src|suites)\/|(^|\/)(bench|proof)\//.test(f))).toEqual([])
    // Test files are the conformance suites only (one per area), compiled.
    expect(
      files.filter((f) => f.includes('.test.')).every((f) => /^dist\/suites\/[\w-]+\.test\.(js|d\.ts)$/.test(f)),
    ).toBe(true)
    // No TypeScript loader among what it installs.
    expect(existsSync(join(project, 'node_modules/tsx'))).toBe(false)
  })

  test("a run loads bundles: the worker's suite code is one module, the CLI a few chunks (vitest outside)", () => {
    // Every import of a bundle: only vitest, Node's built-ins, and (the CLI) its own chunks.
    const importsOf = (file: string) =>
      [...readFileSync(join(installed, file), 'utf8').matchAll(/(?:^|\n)\s*import\s[^'"]*['"]([^'"]+)['"]/g)].map(
        (m) => m[1],
      )
    const outside = (file: string) =>
      importsOf(file).filter((i) => !/^(vitest(\/.*)?|node:.*)$/.test(i) && !/^\.\.?\/(.*\/)?chunks\//.test(i))
    expect(importsOf('dist/suites/support/conformance-suite.js')).not.toContain('undici')
    expect(outside('dist/suites/support/conformance-suite.js')).toEqual([])
    expect(importsOf('dist/suites/support/conformance-suite.js').filter((i) => i.startsWith('.'))).toEqual([])
    expect(outside('dist/src/cli/main.js')).toEqual([])
    expect(outside('dist/suites/support/global-setup.js')).toEqual([])
    expect(filesUnder(join(installed, 'dist/chunks')).length).toBeGreaterThan(0)
  })

  test('the repository packs the same list: `files` leaves out tests, benchmark and proofs', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: REPO_ROOT })
    const paths = (JSON.parse(stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path)
    expect(
      paths.filter((p) => !/^(dist\/(src|suites|chunks)\/|specs\/|LICENSE$|README\.md$|package\.json$)/.test(p)),
    ).toEqual([])
    expect(paths.filter((p) => /\.test\./.test(p) && !p.startsWith('dist/suites/'))).toEqual([])
  })

  test('npx scim-conformance --help, --version and list-checks', async () => {
    const help = await inProject('npx', ['--no', '--', 'scim-conformance', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage:')
    const version = await inProject('npx', ['--no', '--', 'scim-conformance', '--version'])
    expect(version).toMatchObject({ code: 0, stdout: `${PACKAGE.version}\n` })
    const list = await inProject('npx', ['--no', '--', 'scim-conformance', 'list-checks'])
    expect(list.code).toBe(0)
    expect(list.stdout).toContain('put.status.success-200')
  }, 60_000)

  test("import('scim-conformance') gives the library surface of src/index.ts", async () => {
    const script = "import('scim-conformance').then((m) => console.log(JSON.stringify(Object.keys(m).sort())))"
    const imported = await inProject(process.execPath, ['-e', script])
    expect(imported.stderr).toBe('')
    expect(JSON.parse(imported.stdout)).toEqual(Object.keys(library).sort())
    const types = readFileSync(join(installed, 'dist/src/index.d.ts'), 'utf8')
    expect(types).toContain('startReferenceServer')
  })

  test('a relative --spec is read from the working directory', async () => {
    const audit = await inProject(bin, ['audit-spec', '--spec', 'my-api.yaml'])
    expect(audit.stderr).toBe('')
    expect(audit.code).toBe(0)
  })

  test('serve + run --report-dir reports: report.json, report.html and junit.xml in the project', async () => {
    const serve = spawn(bin, ['serve', '--vendor', 'cube', '--port', '0', '--token', TOKEN], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      const baseUrl = await new Promise<string>((resolve, reject) => {
        let out = ''
        serve.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk
          if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')).trim())
        })
        serve.once('exit', (code) => reject(new Error(`serve exited (${code}) before printing its URL`)))
      })
      const only = 'put.status.success-200,put.status.no-5xx,put.replace.values-stored'
      const args = ['run', '--target', new URL(baseUrl).origin, '--vendor', 'cube', '--only', only]
      const result = await inProject(
        'npx',
        ['--no', '--', 'scim-conformance', ...args, '--runs', '2', '--report-dir', 'reports'],
        {
          SCIM_TOKEN: TOKEN,
        },
      )
      expect(result.stderr).not.toMatch(/internal error/)
      expect(result.code).toBe(0)
      const reports = join(project, 'reports')
      expect(readdirSync(reports)).toEqual(expect.arrayContaining(['report.json', 'report.html', 'junit.xml']))
      const report = JSON.parse(readFileSync(join(reports, 'report.json'), 'utf8')) as ConformanceReport
      expect(report.results.map((r) => r.id).sort()).toEqual(only.split(',').sort())
      expect(readFileSync(join(reports, 'junit.xml'), 'utf8')).toContain('put.status.success-200')
      // Nothing written inside the installed package (vitest's root): no reports, no cache.
      const written = filesUnder(installed).filter((f) => /(^|\/)(reports|node_modules|\.vite)\//.test(f))
      expect(written.map((f) => relative(project, join(installed, f)))).toEqual([])
    } finally {
      if (serve.exitCode === null && serve.signalCode === null) {
        const exited = new Promise((resolve) => serve.once('exit', resolve))
        serve.kill('SIGTERM')
        await exited
      }
    }
  }, 180_000)
})
