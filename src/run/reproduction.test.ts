import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CHECKS } from '../checks/index.ts'
import type { CheckResult } from '../checks/types.ts'
import type { Exchange } from '../http/exchange.ts'
import type { ReferenceServer } from '../reference/server.ts'
import {
  closeServers,
  killStrayChildren,
  readReport,
  removeTempDirs,
  runCli,
  seedUsers,
  startCube,
  TEST_TIMEOUT_MS,
  tempDir,
  userIndex,
} from '../../test/support/cli.ts'
import { formatFailure } from '../report/format-failure.ts'
import { buildConfig } from './config.ts'
import { replayCommand, reproductionScript, targetOf } from './reproduction.ts'
import { runChecks } from './run-checks.ts'

// Issue 16, item 4 and Broken 7: a failure's script reproduces it on its own (the run deleted its users).

const exchange = (
  method: string,
  url: string,
  body: unknown,
  status: number,
  answer: unknown = {},
  headers: Record<string, string> = {},
): Exchange => ({
  request: {
    method,
    url,
    headers: { authorization: 'Bearer $SCIM_TOKEN', 'content-type': 'application/scim+json', ...headers },
    body: body === null ? null : JSON.stringify(body),
  },
  response: {
    status,
    headers: status === 200 ? { etag: 'W/"7"' } : {},
    bodyText: JSON.stringify(answer),
    body: answer,
    truncated: false,
  },
  error: null,
  startedAt: new Date(0).toISOString(),
  durationMs: 1,
})

describe('reproductionScript of a run with HTTP Basic (RFC 7617)', () => {
  const base = 'https://acme.example/scim/v2'
  const basic = { authorization: 'Basic $SCIM_BASIC_CREDENTIALS' }
  const put = exchange('PUT', `${base}/Users/u-1`, { userName: 'x' }, 200, {}, basic)
  const wrong = exchange('PUT', `${base}/Users/u-1`, { userName: 'x' }, 200, {}, { authorization: 'Basic d3Jvbmc=' })
  const script = reproductionScript({
    checkId: 'put.auth.invalid-token',
    title: 'put.auth.invalid-token (MUST): a title',
    basePath: '/scim/v2',
    users: [{ id: 'u-1', body: { userName: 'x' } }],
    mediaType: 'application/scim+json',
    steps: [{ exchange: put }, { exchange: wrong }],
    focus: 1,
    replay: null,
  })

  test('logs in with curl -u from the environment: set-up, steps and clean-up; never needs SCIM_TOKEN', () => {
    const login = '-u "$SCIM_BASIC_USER:$SCIM_BASIC_PASSWORD"'
    expect(script).toContain(`curl -sS -g -X POST "$SCIM_BASE/Users" ${login}`)
    expect(script).toContain(`curl -sS -g -X DELETE "$SCIM_BASE/Users/$id" ${login}`)
    expect(script).toContain(`-X 'PUT' "$SCIM_BASE"'/Users/'"$U1" ${login} -H 'Content-Type`)
    expect(script.split('\n').filter((l) => l.includes(`-X 'PUT'`) && l.includes(login))).toHaveLength(1)
    // The harness-made wrong credential is replayed as sent.
    expect(script).toContain(`-H 'Authorization: Basic d3Jvbmc='`)
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    expect(script).toContain('"${SCIM_BASIC_USER:?set SCIM_BASIC_USER}"')
    expect(script).not.toContain('SCIM_TOKEN')
    expect(script).not.toContain('$SCIM_BASIC_CREDENTIALS')
  })
})

describe('reproductionScript', () => {
  const base = 'https://acme.example/api/scim/v2'
  const [u1, u2, made] = ['0f1e2d3c-aaaa', '9a8b7c6d-bbbb', 'c0ffee00-new1']
  const script = reproductionScript({
    checkId: 'put.x.y',
    title: 'put.x.y (MUST, RFC 7644 §3.5.1): a title',
    finding: { received: '200 without emails', expected: 'emails stored (RFC 7644 §3.5.1)' },
    basePath: '/api/scim/v2',
    users: [
      { id: u1, body: { userName: "scimc-r-o'brien", emails: [{ value: 'a@x' }] }, version: 'W/"1"' },
      { id: u2, body: { userName: 'scimc-r-two' } },
    ],
    mediaType: 'application/scim+json',
    steps: [
      { exchange: exchange('PUT', `${base}/Users/${u1}`, { userName: 'x', manager: { value: u2 } }, 200, {}, {}) },
      {
        exchange: exchange('PUT', `${base}/Users/${u1}`, { userName: 'y' }, 200, {}, { 'if-match': 'W/"1"' }),
      },
      { exchange: exchange('PUT', `${base}/Users/${u2}`, { userName: 'z' }, 412, {}, { 'if-match': 'W/"7"' }) },
      { exchange: exchange('POST', `${base}/Users`, { userName: 'scimc-r-3' }, 201, { id: made }) },
      { exchange: exchange('GET', `${base}/Users/${made}?attributes=emails`, null, 200), parallel: 1 },
      { exchange: exchange('GET', `${base}/Users/${u1}`, null, 200), parallel: 1 },
    ],
    focus: 5,
    replay: "scim-conformance run --target 'https://acme.example' --vendor cube --seed 1 --only put.x.y --path 3",
  })

  test('creates the users first, then every request with the new ids, never the run ids', () => {
    expect(script).toMatch(/^#!\/usr\/bin\/env bash\n# put\.x\.y \(MUST/)
    expect(script).toContain('# Received: 200 without emails')
    expect(script).toContain(
      "#   scim-conformance run --target 'https://acme.example' --vendor cube --seed 1 --only put.x.y --path 3",
    )
    expect(script).toContain(`--data-raw '{"userName":"scimc-r-o'\\''brien","emails":[{"value":"a@x"}]}'`)
    expect(script).toContain('U1=$(id_of u1)')
    expect(script).toContain('U2=$(id_of u2)')
    expect(script).toContain(`curl -sS -g -X 'PUT' "$SCIM_BASE"'/Users/'"$U1"`)
    // An id in a body is the new user's too.
    expect(script).toContain(`'{"userName":"x","manager":{"value":"'"$U2"'"}}'`)
    // The user a step created is captured from its answer and named after.
    expect(script).toContain('U3=$(id_of 4)')
    expect(script).toContain(`"$SCIM_BASE"'/Users/'"$U3"'?attributes=emails'`)
    for (const id of [u1, u2, made]) expect(script).not.toContain(id)
    expect(script).not.toContain('acme.example/api')
  })

  test('ETags come from the answers that carried them; racing steps run together; the focus is shown', () => {
    expect(script).toContain(`-H 'If-Match: '"$(etag_of u1)"`)
    expect(script).toContain(`-H 'If-Match: '"$(etag_of 2)"`)
    const lines = script.split('\n')
    const racing = lines.filter((l) => l.endsWith(' &'))
    expect(racing).toHaveLength(2)
    expect(lines[lines.indexOf(racing[1]) + 1]).toBe('wait')
    expect(script).toContain('# ^ the response that broke the rule.')
    expect(script).toContain(
      'echo "step 6: HTTP $(status_of 6) <- the response that broke the rule (recorded: HTTP 200)"',
    )
    expect(script).toContain('-H "Authorization: Bearer $SCIM_TOKEN"')
    expect(script).toContain('trap cleanup EXIT')
    // One curl per step (the creations and the cleanup's DELETEs aside), as a story's script has.
    expect(script.match(/^(?:U\d+=\$\()?curl -sS -g -X '/gm)).toHaveLength(6)
  })

  test('the replay command and the target', () => {
    const profile = { name: 'cube', specPath: 'specs/cube.yaml' }
    const command = (path: string | null, runs = 50) =>
      replayCommand({
        target: 'http://u:p@h:1/x',
        profile,
        seed: 5,
        runs,
        defaultRuns: 50,
        strictRfc: false,
        checkId: 'a.b',
        path,
      })
    expect(command('1:0', 20)).toMatch(/^scim-conformance run --target 'http:\/\/h:1\/x' --vendor cube (--spec \S+ )?/)
    expect(command('1:0', 20)).toMatch(/--seed 5 --runs 20 --only a\.b --path 1:0$/)
    expect(command(null)).toMatch(/--seed 5 --only a\.b$/)
    expect(replayCommand({ ...{ profile: { name: 'acme', specPath: '/s/acme.yaml' } }, ...base2 })).toContain(
      "--spec '/s/acme.yaml' --seed",
    )
    expect(targetOf('http://h:1/api/scim/v2/Users/x', '/api/scim/v2')).toBe('http://h:1')
    expect(targetOf('http://h:1/p/api/scim/v2/Users', '/api/scim/v2')).toBe('http://h:1/p')
    expect(targetOf('http://h:1/Users/x', '')).toBe('http://h:1')
  })
  const base2 = { target: null, seed: 1, runs: 50, defaultRuns: 50, strictRfc: false, checkId: 'c', path: null }
})

const CHECK = 'put.replace.values-stored'

/**
 * CHECK run with seed 7 against a cube server that drops multi-valued attributes (it fails), on test users of its
 * own or (`borrow`) on a user the server held before, passed as --user-id.
 */
async function failingRun(token: string, borrow = false) {
  const faulty = await startCube({ token, faults: ['multi-valued-dropped'] })
  const id = borrow ? String((await seedUsers(faulty, token, 1))[0].id) : null
  const reportDir = await tempDir()
  const config = buildConfig({ vendor: 'cube', token, reportDir, runs: '20', seed: '7', userId: id ?? undefined })
  const [found] = (await runChecks(config, faulty.origin, { checks: CHECKS.filter((c) => c.id === CHECK) })).results
  return { faulty, id: id ?? '', found }
}

describe('the script of a fault-matrix failure, run with bash against the faulty reference server', () => {
  const TOKEN = 'reproduction-test-token-0123456789'
  let faulty: ReferenceServer
  let correct: ReferenceServer
  let found: CheckResult
  beforeAll(async () => {
    ;({ faulty, found } = await failingRun(TOKEN))
    correct = await startCube({ token: TOKEN })
  })
  afterAll(async () => {
    await closeServers()
    await removeTempDirs()
    killStrayChildren()
  })

  /** Runs the script against a server; the focus response's status and body as it printed them. */
  const replay = async (server: ReferenceServer) => {
    const { stdout } = await promisify(execFile)('bash', ['-c', found.reproduction!.script], {
      env: { PATH: process.env.PATH, SCIM_BASE: `${server.origin}/api/scim/v2`, SCIM_TOKEN: TOKEN },
      encoding: 'utf8',
    })
    const focus =
      /^step \d+: HTTP (\d+) <- the response that broke the rule[^\n]*\n([\s\S]*?)\n-- end of response$/m.exec(stdout)
    expect(focus, stdout).not.toBeNull()
    const [, status, response] = focus!
    const body = JSON.parse(response.slice(response.search(/\r?\n\r?\n/)).trim()) as Record<string, unknown>
    return { stdout, status: Number(status), body }
  }

  test('the check failed, with a script and the command that replays it', () => {
    expect(found.status, found.message).toBe('failed')
    expect(found.diff?.[0].attribute).toBe('emails')
    expect(found.reproduction?.script).toMatch(/^#!\/usr\/bin\/env bash/)
    expect(found.reproduction?.script).not.toContain(TOKEN)
    expect(found.reproduction?.replay).toBe(
      `scim-conformance run --target '${faulty.origin}' --vendor cube --seed 7 --runs 20 --only ${CHECK} ` +
        `--path ${found.path}`,
    )
    // The console and JUnit failure block carries both.
    const text = formatFailure(found)
    expect(text).toContain('Reproduction script (creates its own test users; set SCIM_BASE and SCIM_TOKEN):')
    expect(text).toContain('    #!/usr/bin/env bash')
    expect(text).toContain(`replay: ${found.reproduction!.replay}`)
  })

  test('bash sees the same broken response, and the user it created is gone afterwards', async () => {
    const before = userIndex(faulty)
    const { stdout, status, body } = await replay(faulty)
    const recorded = found.counterexample!.response!
    expect(status).toBe(recorded.status)
    // The offending attribute: sent by the PUT, missing from the GET, in the run and in the replay alike.
    expect(found.reproduction!.script).toContain('"emails"')
    expect(Object.keys(recorded.body as object)).not.toContain('emails')
    expect(Object.keys(body)).not.toContain('emails')
    expect(body.userName).toBe((recorded.body as Record<string, unknown>).userName)
    expect(stdout).toMatch(/^deleted U1=\S+: HTTP 204$/m)
    expect(userIndex(faulty)).toEqual(before)
  })

  test('on a correct server the same script shows the attribute stored', async () => {
    const { body } = await replay(correct)
    expect(body.emails).toEqual(expect.any(Array))
    expect(userIndex(correct)).toEqual([])
  })

  test(
    'the replay command, run through the CLI, reproduces the same failure',
    async () => {
      const reports = await tempDir()
      const args = found
        .reproduction!.replay.split(' ')
        .slice(1)
        .map((a) => a.replace(/^'(.*)'$/, '$1'))
      const cli = await runCli([...args, '--report-dir', reports], { env: { SCIM_TOKEN: TOKEN } })
      expect(cli.code, cli.stderr).toBe(1)
      const again = (await readReport(reports)).results.find((r) => r.id === CHECK)!
      expect(again.status).toBe('failed')
      expect(again.numRuns).toBe(1)
      expect(again.message).toBe(found.message)
      expect(again.diff?.map((d) => d.attribute)).toEqual(found.diff?.map((d) => d.attribute))
      expect(again.counterexample?.response?.status).toBe(found.counterexample?.response?.status)
    },
    TEST_TIMEOUT_MS,
  )
})

describe('a --user-id run: the script borrows SCIM_USER_ID, creates nobody, and puts the user back', () => {
  const TOKEN = 'reproduction-test-token-borrowed-0123'
  let faulty: ReferenceServer
  let id: string
  let found: CheckResult
  /** The user without what a write moves (lastModified, version). */
  const stable = () => {
    const user = faulty.users().find((u) => u.id === id)!
    const { lastModified: _l, version: _v, ...meta } = user.meta as Record<string, unknown>
    return { ...user, meta }
  }
  beforeAll(async () => {
    ;({ faulty, id, found } = await failingRun(TOKEN, true))
  })
  afterAll(async () => {
    await closeServers()
    await removeTempDirs()
  })

  test('the failing case has a script and a replay that name the borrowed user, and no POST', () => {
    expect(found.status, found.message).toBe('failed')
    const { script, replay } = found.reproduction!
    expect(script).not.toMatch(/-X POST/)
    expect(script).toContain('U1="$SCIM_USER_ID"')
    expect(replay).toContain(`--user-id '${id}'`)
    expect(formatFailure(found)).toContain(
      'Reproduction script (on the user SCIM_USER_ID, put back as it was; set SCIM_BASE, SCIM_TOKEN and SCIM_USER_ID):',
    )
  })

  test('bash sees the same broken response on that user, and leaves it as it was; no user is created', async () => {
    const before = stable()
    const users = userIndex(faulty)
    const { stdout } = await promisify(execFile)('bash', ['-c', found.reproduction!.script], {
      env: { PATH: process.env.PATH, SCIM_BASE: `${faulty.origin}/api/scim/v2`, SCIM_TOKEN: TOKEN, SCIM_USER_ID: id },
      encoding: 'utf8',
    })
    const focus =
      /^step \d+: HTTP (\d+) <- the response that broke the rule[^\n]*\n([\s\S]*?)\n-- end of response$/m.exec(stdout)
    expect(focus, stdout).not.toBeNull()
    const body = JSON.parse(focus![2].slice(focus![2].search(/\r?\n\r?\n/)).trim()) as Record<string, unknown>
    expect(Number(focus![1])).toBe(found.counterexample!.response!.status)
    expect(Object.keys(body)).not.toContain('emails')
    expect(body.id).toBe(id)
    expect(stdout).toMatch(new RegExp(`^restored U1=${id}: HTTP 200$`, 'm'))
    expect(stdout).not.toMatch(/^deleted /m)
    expect(userIndex(faulty)).toEqual(users)
    expect(stable()).toEqual(before)
  })

  test('without SCIM_USER_ID the script stops before any request', async () => {
    const error = await promisify(execFile)('bash', ['-c', found.reproduction!.script], {
      env: { PATH: process.env.PATH, SCIM_BASE: `${faulty.origin}/api/scim/v2`, SCIM_TOKEN: TOKEN },
      encoding: 'utf8',
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    )
    expect(error?.code).not.toBe(0)
    expect(error?.stderr).toContain('set SCIM_USER_ID to the user given as --user-id')
  })
})
