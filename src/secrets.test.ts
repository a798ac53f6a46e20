import { afterEach, describe, expect, test } from 'vitest'
import {
  activeSecrets,
  clearActiveSecrets,
  containsSecret,
  REDACTED,
  scrubberOf,
  scrubSecrets,
  scrubSecretsDeep,
  secretsOf,
  TOKEN_PLACEHOLDER,
  useSecrets,
  warnShortSecrets,
  withoutUserinfo,
} from './secrets.ts'

const TOKEN = 'Tok_9f8e7d6c5b4a-Secret'
const secrets = secretsOf({ token: TOKEN })

/** Every character as a JSON `\uXXXX` escape, hex in the given case. */
function uEscaped(text: string, upper = false): string {
  return [...text]
    .map((c) => {
      const hex = c.charCodeAt(0).toString(16).padStart(4, '0')
      return `\\u${upper ? hex.toUpperCase() : hex}`
    })
    .join('')
}

afterEach(() => clearActiveSecrets())

describe('scrubSecrets: a long secret in every form', () => {
  test.each([
    ['raw', `token ${TOKEN} here`],
    ['all characters \\u-escaped', `{"echo":"${uEscaped(TOKEN)}"}`],
    ['all characters \\u-escaped, upper-case hex', `{"echo":"${uEscaped(TOKEN, true)}"}`],
    ['mixed raw and \\u-escaped', `{"echo":"Tok_9f8e${uEscaped('7d6c5b')}4a-S\\u0065cret"}`],
    ['\\u-escaped twice (a body inside a JSON string)', JSON.stringify(`{"echo":"${uEscaped(TOKEN)}"}`)],
    ['lower-cased (a header name)', `x-debug: 1\n${TOKEN.toLowerCase()}: 1`],
    ['upper-cased', TOKEN.toUpperCase()],
    ['URL-encoded', `https://x.example/?t=${encodeURIComponent(TOKEN)}`],
    ['URL-encoded, every character', [...TOKEN].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('')],
    ['HTML-escaped (numeric references)', [...TOKEN].map((c) => `&#${c.charCodeAt(0)};`).join('')],
    ['HTML hex references', [...TOKEN].map((c) => `&#x${c.charCodeAt(0).toString(16)};`).join('')],
  ])('%s', (_, text) => {
    const out = scrubSecrets(text, secrets)
    expect(out).toContain(TOKEN_PLACEHOLDER)
    expect(containsSecret(out, secrets)).toBe(false)
    expect(out.toLowerCase()).not.toContain(TOKEN.toLowerCase())
    // What is left decodes to no token either.
    expect(decodeAll(out).toLowerCase()).not.toContain(TOKEN.toLowerCase())
  })

  test('a token with JSON and HTML specials, escaped for JSON then for HTML', () => {
    const token = 'a"b\\c&d<e>/f+g=='
    const s = secretsOf({ token })
    const json = JSON.stringify(token).slice(1, -1)
    const html = json.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    expect(scrubSecrets(`${json} | ${html} | ${token} | ${encodeURIComponent(token)}`, s)).toBe(
      '$SCIM_TOKEN | $SCIM_TOKEN | $SCIM_TOKEN | $SCIM_TOKEN',
    )
  })

  test('a parsed body, JSON and text all stay valid once scrubbed', () => {
    const body = `{"detail":"bad token ${uEscaped(TOKEN)}","n":1}`
    expect(JSON.parse(scrubSecrets(body, secrets))).toEqual({ detail: 'bad token $SCIM_TOKEN', n: 1 })
  })

  test('text without a secret is returned unchanged (same string)', () => {
    const text = 'nothing \\u0041 here %41 &#65; Tok_9f8e'
    expect(scrubSecrets(text, secrets)).toBe(text)
    expect(scrubSecrets(text, [])).toBe(text)
  })

  test('scrubSecretsDeep reaches keys and nested strings and leaves the input alone', () => {
    const input = { [TOKEN.toLowerCase()]: [`x ${uEscaped(TOKEN)}`], n: 1, ok: true, nil: null }
    expect(scrubSecretsDeep(input, secrets)).toEqual({ $SCIM_TOKEN: ['x $SCIM_TOKEN'], n: 1, ok: true, nil: null })
    expect(input.n).toBe(1)
    expect(Object.keys(input)[0]).toBe(TOKEN.toLowerCase())
  })
})

describe('scrubSecrets: a short secret where it stands alone', () => {
  const short = secretsOf({ token: 'abc123' })

  test.each([
    ['after Bearer', 'Authorization: Bearer abc123', 'Authorization: Bearer $SCIM_TOKEN'],
    ['after Basic', 'basic abc123, then', 'basic $SCIM_TOKEN, then'],
    ['as a whole JSON string', '{"token":"abc123"}', '{"token":"$SCIM_TOKEN"}'],
    ['as a JSON key (a lower-cased header name)', '{"ABC123":"x"}', '{"$SCIM_TOKEN":"x"}'],
    ['\\u-escaped as a whole JSON string', `{"t":"${uEscaped('abc123')}"}`, '{"t":"$SCIM_TOKEN"}'],
    ['HTML-quoted', '<td>&quot;abc123&quot;</td>', '<td>&quot;$SCIM_TOKEN&quot;</td>'],
    ["as a URL's user name", 'http://abc123@h/x', 'http://$SCIM_TOKEN@h/x'],
    ["as a URL's password", 'http://me:abc123@h/x', 'http://me:$SCIM_TOKEN@h/x'],
  ])('%s', (_, text, want) => {
    expect(scrubSecrets(text, short)).toBe(want)
  })

  test.each([
    ['inside a word', 'xabc123y'],
    ['a longer bearer', 'Bearer abc1234'],
    ['part of a string', '{"t":"abc123 and more"}'],
  ])('not %s', (_, text) => {
    expect(scrubSecrets(text, short)).toBe(text)
  })
})

describe('secretsOf --target userinfo', () => {
  const target = 'http://u:pass-secret-123@127.0.0.1:8080/scim'
  const s = secretsOf({ token: TOKEN, target })

  test('lists the token, the userinfo, the password and the user name, longest first', () => {
    expect(s.map((x) => [x.label, x.value])).toEqual([
      ['the token', TOKEN],
      ['the --target userinfo', 'u:pass-secret-123'],
      ['the --target password', 'pass-secret-123'],
      ['the --target user name', 'u'],
    ])
  })

  test('the target loses its userinfo, and the password is scrubbed wherever else it appears', () => {
    expect(scrubSecrets(`against ${target}`, s)).toBe('against http://127.0.0.1:8080/scim')
    expect(scrubSecrets('{"pw":"pass-secret-123","e":"PASS-SECRET-123"}', s)).toBe(
      `{"pw":"${REDACTED}","e":"${REDACTED}"}`,
    )
    expect(scrubSecrets('cannot reach http://u:pass%2Dsecret-123@h', s)).toBe('cannot reach http://h')
  })

  test('a short user name is scrubbed only in a URL, never from ordinary text', () => {
    expect(scrubSecrets('{"u":"u","url":"http://u@h"}', s)).toBe('{"u":"u","url":"http://[redacted]@h"}')
  })

  test('a percent-encoded password is matched decoded and encoded', () => {
    const t = secretsOf({ target: 'https://me:p%40ss%3Aword@h' })
    expect(t.find((x) => x.label === 'the --target password')?.value).toBe('p@ss:word')
    expect(scrubSecrets('p@ss:word and p%40ss%3aword', t)).toBe('[redacted] and [redacted]')
  })

  test('withoutUserinfo', () => {
    expect(withoutUserinfo(target)).toBe('http://127.0.0.1:8080/scim')
    expect(withoutUserinfo('https://h/x?a=b@c')).toBe('https://h/x?a=b@c')
    expect(withoutUserinfo('https://h')).toBe('https://h')
  })
})

describe('warnShortSecrets', () => {
  test('warns once per process, naming the secrets and never their values', () => {
    const lines: string[] = []
    const s = secretsOf({ token: 'abc123', target: 'http://admin:pw@h' })
    expect(warnShortSecrets(s, (l) => lines.push(l))).toBe(true)
    expect(warnShortSecrets(s, (l) => lines.push(l))).toBe(false)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      new RegExp(
        /^scim-conformance: warning: the token, the --target user name and the --target password /.source +
          /are shorter than 8 characters/.source,
      ),
    )
    expect(lines[0]).not.toMatch(/abc123|admin|\bpw\b/)
  })

  test('nothing to say for long secrets', () => {
    const lines: string[] = []
    expect(warnShortSecrets(secrets, (l) => lines.push(l))).toBe(false)
    expect(lines).toEqual([])
  })
})

test('useSecrets keeps one process-wide list', () => {
  useSecrets(secrets)
  useSecrets(secretsOf({ token: TOKEN, target: 'http://a:long-password@h' }))
  expect(activeSecrets().map((s) => s.label)).toEqual([
    'the token',
    'the --target userinfo',
    'the --target password',
    'the --target user name',
  ])
})

test('scrubberOf: a ledger line stays valid JSON', () => {
  const scrub = scrubberOf({ token: TOKEN, target: 'http://me:long-password@h/scim' })
  const line = JSON.stringify({
    op: 'created',
    id: 'x',
    body: { echo: TOKEN, url: 'http://me:long-password@h/scim/Users' },
  })
  expect(JSON.parse(scrub(line))).toEqual({
    op: 'created',
    id: 'x',
    body: { echo: '$SCIM_TOKEN', url: 'http://h/scim/Users' },
  })
})

/** Undoes JSON `\u`, percent and HTML numeric encodings, for the "nothing decodes to the token" check. */
function decodeAll(text: string): string {
  return text
    .replace(/\\+u([0-9a-f]{4})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
}
