import { request } from 'undici'
import { afterAll, expect, test } from 'vitest'
import { CORE_USER_URN } from '../scim/core-schema.ts'
import { firstStdoutLine, killStrayChildren, secretToken, spawnCli, TEST_TIMEOUT_MS } from '../../test/support/cli.ts'

// `serve --constrained`: the strict, RFC-permitted reference server, as a subprocess.

afterAll(() => {
  killStrayChildren()
})

test(
  'serve --constrained prints its base URL, refuses a string over 100 characters, defaults emails, exits 0 on SIGTERM',
  async () => {
    // Arrange
    const token = secretToken()
    const serve = spawnCli(['serve', '--vendor', 'cube', '--port', '0', '--token', token, '--constrained'])
    const baseUrl = await firstStdoutLine(serve)
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/scim\/v2$/)
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }
    const userName = `serve.${process.pid}@example.com`
    const body = { schemas: [CORE_USER_URN], userName, name: { givenName: 'Ada', familyName: 'Lovelace' } }
    // Act
    const created = await request(`${baseUrl}/Users`, { method: 'POST', headers, body: JSON.stringify(body) })
    const user = (await created.body.json()) as { id: string; emails?: unknown }
    const tooLong = await request(`${baseUrl}/Users/${user.id}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ ...body, name: { givenName: 'g'.repeat(101) } }),
    })
    const refusal = (await tooLong.body.json()) as Record<string, unknown>
    serve.child.kill('SIGTERM')
    const exit = await serve.exited
    // Assert
    expect(created.statusCode).toBe(201)
    expect(user.emails).toEqual([{ value: userName, primary: true }])
    expect(tooLong.statusCode).toBe(400)
    expect(refusal).toMatchObject({
      status: '400',
      scimType: 'invalidValue',
      detail: expect.stringMatching(
        /"name\.givenName" is 101 characters long; this service stores at most 100 characters/,
      ),
    })
    expect(exit.code, exit.stderr).toBe(0)
    expect(exit.stderr).toMatch(/constrained/)
    expect(exit.stderr).not.toContain(token)
  },
  TEST_TIMEOUT_MS,
)
