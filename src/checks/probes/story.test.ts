import { describe, expect, test } from 'vitest'
import type { Exchange } from '../../http/exchange.ts'
import { replayScript } from './story.ts'

// A race's or a sequence's replay script sends the run's credential as the run did: a bearer from SCIM_TOKEN, or
// HTTP Basic from SCIM_BASIC_USER / SCIM_BASIC_PASSWORD (RFC 7617).

const exchange = (authorization: string, method = 'POST'): Exchange => ({
  request: {
    method,
    url: 'https://acme.example/scim/v2/Users',
    headers: { authorization, 'content-type': 'application/scim+json' },
    body: '{"userName":"a"}',
  },
  response: { status: 201, headers: {}, bodyText: '{"id":"x"}', body: { id: 'x' }, truncated: false },
  error: null,
  startedAt: new Date(0).toISOString(),
  durationMs: 1,
})

function script(authorization: string): string {
  const steps = [{ n: 1, action: 'create a user', expected: '201', received: '201' }]
  return replayScript({ steps, exchanges: [exchange(authorization)], labels: new Map(), creates: ['a'] }, 1, 'a story')
}

describe('replayScript credentials', () => {
  test('Basic: curl -u from the environment in the steps and the clean-up; SCIM_TOKEN never needed', () => {
    const text = script('Basic $SCIM_BASIC_CREDENTIALS')
    const login = '-u "$SCIM_BASIC_USER:$SCIM_BASIC_PASSWORD"'
    expect(text.split('\n').filter((l) => l.includes(login))).toHaveLength(2)
    expect(text).toContain(`-X DELETE "$SCIM_BASE/Users/$A" ${login}`)
    expect(text).not.toContain('SCIM_TOKEN')
    expect(text).not.toContain('$SCIM_BASIC_CREDENTIALS')
  })

  test('Bearer: the token from SCIM_TOKEN, as before', () => {
    const text = script('Bearer $SCIM_TOKEN')
    expect(text).toContain(`-H 'Authorization: Bearer '"$SCIM_TOKEN"`)
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    expect(text).toContain('${SCIM_TOKEN:?set SCIM_TOKEN}')
    expect(text).not.toContain('SCIM_BASIC')
  })
})
