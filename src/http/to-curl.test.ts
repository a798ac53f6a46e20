import { execFileSync } from 'node:child_process'
import { describe, expect, test } from 'vitest'
import type { RecordedRequest } from './exchange.ts'
import { secretsOf } from '../secrets.ts'
import { toCurl } from './to-curl.ts'

/** Runs `command` in bash with `curl` replaced by a function that prints its arguments NUL-separated. */
function shellArgs(command: string, env: Record<string, string> = {}): string[] {
  const out = execFileSync('bash', ['-c', `curl() { printf '%s\\0' "$@"; }\n${command}`], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  })
  return out.split('\0').slice(0, -1)
}

const put: RecordedRequest = {
  method: 'PUT',
  url: 'https://acme.example/scim/v2/Users/2819c223',
  headers: {
    accept: 'application/scim+json, application/json',
    'content-type': 'application/scim+json',
    authorization: 'Bearer $SCIM_TOKEN',
  },
  body: '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"}',
}

describe('toCurl', () => {
  test("leaves out a URL's userinfo (curl would send it as Basic auth) and scrubs the secrets it is given", () => {
    const token = 'tok-echoed-0123456789'
    const request: RecordedRequest = {
      ...put,
      url: 'https://me:pw-secret-99@acme.example/scim/v2/Users/1',
      headers: { ...put.headers, 'x-echo': token.toUpperCase() },
      body: `{"note":"${token}"}`,
    }
    const line = toCurl(request, secretsOf({ token, target: 'https://me:pw-secret-99@acme.example' }))
    expect(line).toContain("'https://acme.example/scim/v2/Users/1'")
    expect(line.toLowerCase()).not.toContain(token)
    expect(line).not.toContain('pw-secret-99')
    expect(shellArgs(line, { SCIM_TOKEN: 't' })).toEqual(
      expect.arrayContaining(['X-Echo: t', '{"note":"$SCIM_TOKEN"}']),
    )
  })

  test('a PUT reads as the README shows it', () => {
    expect(toCurl(put)).toBe(
      "curl -sS -X PUT 'https://acme.example/scim/v2/Users/2819c223'" +
        " -H 'Accept: application/scim+json, application/json' -H 'Content-Type: application/scim+json'" +
        ' -H "Authorization: Bearer $SCIM_TOKEN"' +
        ` --data-raw '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"}'`,
    )
  })

  test('quotes, unicode and shell syntax in the body and URL survive bash', () => {
    // Arrange
    const body = `{"userName":"o'brien","displayName":"Zoë 李 🚀","note":"$HOME \`id\` $(id) !! \\\\ \\" '' \\n\nline 2"}`
    const request: RecordedRequest = {
      ...put,
      url: "https://acme.example/scim/v2/Users/it's[1]?filter=a%20b&x=$y",
      body,
    }
    // Act
    const args = shellArgs(toCurl(request), { SCIM_TOKEN: 'expanded-token', HOME: '/nowhere' })
    // Assert
    expect(args).toEqual([
      '-sS',
      '-g',
      '-X',
      'PUT',
      request.url,
      '-H',
      'Accept: application/scim+json, application/json',
      '-H',
      'Content-Type: application/scim+json',
      '-H',
      'Authorization: Bearer expanded-token',
      '--data-raw',
      body,
    ])
  })

  test('$SCIM_TOKEN is expanded in any header, other text never is', () => {
    const request: RecordedRequest = {
      method: 'GET',
      url: 'http://h/Users',
      headers: { 'x-odd': "it's $SCIM_TOKEN, $HOME" },
      body: null,
    }
    expect(shellArgs(toCurl(request), { SCIM_TOKEN: 't', HOME: '/h' })).toEqual([
      '-sS',
      '-X',
      'GET',
      'http://h/Users',
      '-H',
      "X-Odd: it's t, $HOME",
    ])
  })

  test('a method that is not a plain word is quoted', () => {
    expect(shellArgs(toCurl({ ...put, method: "P'UT", body: null }), { SCIM_TOKEN: 't' }).slice(0, 3)).toEqual([
      '-sS',
      '-X',
      "P'UT",
    ])
  })

  test('an empty header is sent empty, and a body without Content-Type gets none', () => {
    const request: RecordedRequest = { method: 'PUT', url: 'http://h/Users/1', headers: { 'if-match': '' }, body: '{' }
    expect(toCurl(request)).toBe("curl -sS -X PUT 'http://h/Users/1' -H 'If-Match;' -H 'Content-Type:' --data-raw '{'")
  })

  test('a body over 64 KiB is elided with a note', () => {
    const request: RecordedRequest = { ...put, body: JSON.stringify({ userName: 'x'.repeat(70_000) }) }
    const curl = toCurl(request)
    expect(curl).toMatch(
      new RegExp(
        / --data-binary @body\.json # body elided \(70015 bytes > 64 KiB\): /.source +
          /save the recorded request body as body\.json$/.source,
      ),
    )
    expect(shellArgs(curl, { SCIM_TOKEN: 't' }).at(-1)).toBe('@body.json')
  })
})
