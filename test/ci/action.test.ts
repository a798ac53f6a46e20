import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import { loadProfile } from '../../src/profile/vendor-profile.ts'
import { type ReferenceServer, startReferenceServer } from '../../src/reference/server.ts'
import { faultHooks } from '../support/faults/index.ts'

// Issue 17 item 5: the GitHub Action (action.yml) and the GitLab template (.ci/templates/gitlab.yml) run one
// script, .ci/action-run.sh. Here the action's own run step is run locally, its inputs mapped to the
// environment exactly as action.yml maps them, against reference servers on 127.0.0.1.

const ROOT = join(import.meta.dirname, '..', '..')
const TOKEN = 'action-test-token-0123456789'
// biome-ignore lint/suspicious/noExplicitAny: a parsed YAML document, indexed freely
const action: any = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8'))
// biome-ignore lint/suspicious/noExplicitAny: a parsed YAML document, indexed freely
const gitlab: any = parse(readFileSync(join(ROOT, '.ci/templates/gitlab.yml'), 'utf8'))
const runStep = action.runs.steps.find((s: { run?: string }) => s.run !== undefined)

let correct: ReferenceServer
let faulty: ReferenceServer
const dirs: string[] = []

beforeAll(async () => {
  const profile = await loadProfile({ vendor: 'cube' })
  correct = await startReferenceServer({ profile, token: TOKEN })
  faulty = await startReferenceServer({ profile, token: TOKEN, hooks: faultHooks(['multi-valued-dropped']) })
})
afterAll(async () => {
  await correct?.close()
  await faulty?.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** The action's run step, run locally: `${{ inputs.x }}` from `given` (else the input's default), bash. */
function runAction(given: Record<string, string>): Promise<{ code: number | null; stderr: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'action-'))
  dirs.push(dir)
  const inputs: Record<string, string> = { 'report-dir': join(dir, 'reports') }
  for (const [name, spec] of Object.entries<{ default?: string }>(action.inputs))
    inputs[name] = given[name] ?? inputs[name] ?? spec.default ?? ''
  const expand = (text: string) =>
    text
      .replace(/\$\{\{ inputs\.([\w-]+) \}\}/g, (_m, name: string) => inputs[name] ?? '')
      .replace(/\$\{\{ github\.action_path \}\}/g, ROOT)
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir }
  for (const [name, value] of Object.entries<string>(runStep.env)) env[name] = expand(value)
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', expand(runStep.run)], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stdout.resume()
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stderr, dir }))
  })
}

const SMALL = '--only put.replace.values-stored,put.status.success-200 --runs 5 --seed 7'

describe('the GitHub Action and the GitLab template', () => {
  test('action.yml maps every input into the environment of one run step that calls .ci/action-run.sh', () => {
    expect(action.runs.using).toBe('composite')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
    expect(runStep.run).toBe('bash "${{ github.action_path }}/.ci/action-run.sh"')
    const mapped = Object.values<string>(runStep.env).join(' ')
    for (const name of Object.keys(action.inputs)) expect(mapped, name).toContain(`\${{ inputs.${name} }}`)
    expect(action.inputs.target.required).toBe(true)
  })

  test('the GitLab template runs the same script and hands its junit.xml to GitLab', () => {
    const job = gitlab['.scim-conformance']
    expect(job.script.at(-1)).toMatch(/\.ci\/action-run\.sh$/)
    expect(job.artifacts.reports.junit).toBe('$SCIM_REPORT_DIR/junit.xml')
    expect(job.artifacts.when).toBe('always')
  })

  test('a correct server: exit 0, the reports in report-dir, the token nowhere in them', async () => {
    const run = await runAction({ target: correct.baseUrl, vendor: 'cube', token: TOKEN, args: SMALL })
    expect(run.code, run.stderr).toBe(0)
    for (const file of ['junit.xml', 'report.json', 'report.html']) {
      const path = join(run.dir, 'reports', file)
      expect(existsSync(path), file).toBe(true)
      expect(readFileSync(path, 'utf8')).not.toContain(TOKEN)
    }
    const report = JSON.parse(readFileSync(join(run.dir, 'reports', 'report.json'), 'utf8'))
    expect(report.results.map((r: { status: string }) => r.status)).toEqual(['passed', 'passed'])
  })

  test('a server with a MUST finding: exit 1, the finding in junit.xml', async () => {
    const run = await runAction({ target: faulty.origin, vendor: 'cube', token: TOKEN, args: SMALL })
    expect(run.code, run.stderr).toBe(1)
    expect(readFileSync(join(run.dir, 'reports', 'junit.xml'), 'utf8')).toMatch(/<failure/)
  })

  test('no vendor or spec, or no target: one line on stderr, exit 2', async () => {
    const noVendor = await runAction({ target: correct.origin, token: TOKEN })
    expect(noVendor.code).toBe(2)
    expect(noVendor.stderr.trim().split('\n')).toHaveLength(1)
    expect(noVendor.stderr).toMatch(/set SCIM_VENDOR .* or SCIM_SPEC/)
    const noTarget = await runAction({ target: '', vendor: 'cube' })
    expect(noTarget.code).toBe(2)
    expect(noTarget.stderr).toMatch(/^scim-conformance: set SCIM_TARGET/)
  })
})
