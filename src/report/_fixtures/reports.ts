import type { CheckResult } from '../../checks/types.ts'
import type { Exchange, RecordedRequest, RecordedResponse } from '../../http/exchange.ts'
import type { ConformanceReport } from '../types.ts'

/** A credential that must never reach a written report. */
export const FAKE_TOKEN = 'tok_FAKE_9f8e7d6c5b4a_do-not-leak'

/** A hostile body: markup and a script a server could return. */
export const HOSTILE_TEXT = '</script><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'

const BASE = 'https://scim.example.test/scim/v2'
const USER_ID = '2819c223-7f76-453a-919d-413861904646'
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'

function request(method: string, path: string, body?: unknown): RecordedRequest {
  return {
    method,
    url: `${BASE}${path}`,
    headers: { authorization: 'Bearer $SCIM_TOKEN', 'content-type': 'application/scim+json', accept: 'application/scim+json' },
    body: body === undefined ? null : JSON.stringify(body),
  }
}

function response(status: number, body: unknown, headers: Record<string, string> = {}): RecordedResponse {
  const bodyText = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
  let parsed: unknown
  try {
    parsed = bodyText === '' ? undefined : JSON.parse(bodyText)
  } catch {
    parsed = undefined
  }
  return { status, headers: { 'content-type': 'application/scim+json', ...headers }, bodyText, body: parsed, truncated: false }
}

function exchange(req: RecordedRequest, res: RecordedResponse | null, error: Exchange['error'] = null): Exchange {
  return { request: req, response: res, error, startedAt: '2025-11-23T20:30:01.250Z', durationMs: 42 }
}

function curl(req: RecordedRequest): string {
  const data = req.body === null ? '' : ` -d '${req.body}'`
  return `curl -X ${req.method} '${req.url}' -H 'Authorization: Bearer $SCIM_TOKEN' -H 'Content-Type: application/scim+json'${data}`
}

function base(overrides: Partial<CheckResult> & Pick<CheckResult, 'id' | 'title' | 'status'>): CheckResult {
  return {
    level: 'MUST',
    source: 'RFC 7644 §3.5.1',
    area: 'status',
    contract: 'rfc',
    message: '',
    counterexample: null,
    reproduce: null,
    seed: 1234567,
    path: null,
    numRuns: 1,
    ...overrides,
  }
}

function report(results: CheckResult[], extra: Partial<ConformanceReport> = {}): ConformanceReport {
  const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length
  return {
    tool: { name: 'scim-conformance', version: '0.1.0' },
    vendor: 'lightdash',
    spec: 'specs/lightdash.yaml',
    target: BASE,
    seed: 1234567,
    runs: 25,
    startedAt: '2025-11-23T20:30:00.000Z',
    durationMs: 12_345,
    summary: {
      passed: count('passed'),
      failed: count('failed'),
      warned: count('warned'),
      observed: count('observed'),
      skipped: count('skipped'),
      requests: 87,
    },
    results,
    specFindings: [],
    traits: {},
    strictRfc: false,
    ...extra,
  }
}

/** A run where every check passed. */
export function passingReport(): ConformanceReport {
  return report([
    base({ id: 'put.supported', title: 'PUT is supported', status: 'passed', area: 'status', source: 'RFC 7644 §3.5' }),
    base({ id: 'put.status.unknown-id-404', title: 'PUT on an unknown id answers 404', status: 'passed', area: 'status' }),
    base({ id: 'put.replace.values-replaced', title: 'Provided values replace the stored ones', status: 'passed', area: 'replace', numRuns: 25 }),
  ])
}

/** A run with every kind of outcome, spec findings, traits, a diff, a hostile body and a leaked token. */
export function failingReport(): ConformanceReport {
  const createReq = request('PUT', '/Users/00000000-0000-4000-8000-000000000000', { schemas: [CORE], userName: 'ghost@example.test' })
  const createRes = response(201, { schemas: [CORE], id: '00000000-0000-4000-8000-000000000000', userName: 'ghost@example.test' })

  const replaceReq = request('PUT', `/Users/${USER_ID}`, {
    schemas: [CORE],
    userName: 'ada@example.test',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    active: false,
  })
  const replaceRes = response(200, {
    schemas: [CORE],
    id: USER_ID,
    userName: 'ada@example.test',
    name: { givenName: 'Grace', familyName: 'Lovelace' },
    active: true,
    meta: { resourceType: 'User', created: '2025-11-20T10:00:00Z', lastModified: '2025-11-23T20:30:02Z' },
  })
  const getReq = request('GET', `/Users/${USER_ID}`)

  const hostileReq = request('PUT', `/Users/${USER_ID}`, { schemas: [CORE], userName: 'x@example.test', nickName: '<b>bold</b>' })
  const hostileRes = response(
    500,
    `<html><body><h1>Internal error</h1>${HOSTILE_TEXT}<p>Authorization: Bearer ${FAKE_TOKEN}</p>\u001b[31mred\u001b[0m</body></html>`,
    { 'content-type': 'text/html', 'x-debug-auth': `Bearer ${FAKE_TOKEN}` },
  )
  // A recorder that failed to redact: the token is in the request header (scrubbing is the last line of defence).
  hostileReq.headers.authorization = `Bearer ${FAKE_TOKEN}`

  const noScimTypeReq = request('PUT', `/Users/${USER_ID}`, { schemas: [CORE], userName: 'taken@example.test' })
  const noScimTypeRes = response(409, { schemas: [ERROR], status: '409', scimType: 'noTarget', detail: 'userName already exists' })

  const results: CheckResult[] = [
    base({ id: 'put.supported', title: 'PUT is supported', status: 'passed', area: 'status', source: 'RFC 7644 §3.5' }),
    base({
      id: 'put.status.unknown-id-404',
      title: 'PUT on an unknown id created a user',
      status: 'failed',
      area: 'status',
      message: 'Received: 201 Created with a new user 00000000-0000-4000-8000-000000000000\nExpected: 404 with a SCIM Error body\n\nHTTP PUT MUST NOT be used to create new resources: answer 404 for an unknown id.',
      counterexample: { request: createReq, response: createRes },
      reproduce: curl(createReq),
      exchanges: [exchange(createReq, createRes)],
    }),
    base({
      id: 'put.replace.values-replaced',
      title: 'Provided values were not stored',
      status: 'failed',
      area: 'replace',
      source: 'RFC 7644 §3.5.1',
      message: 'Received: stored name.givenName "Grace", active true\nExpected: the values sent ("Ada", false)\n\nReplace every provided readWrite value.',
      counterexample: { request: replaceReq, response: replaceRes },
      reproduce: curl(replaceReq),
      seed: 1234567,
      path: '7:0:1',
      numRuns: 25,
      diff: [
        { attribute: 'name.givenName', sent: 'Ada', stored: 'Grace', note: 'old value kept' },
        { attribute: 'active', sent: false, stored: true, note: 'old value kept' },
        { attribute: 'title', sent: undefined, stored: 'Engineer', note: 'omitted: retained (observe)' },
      ],
      exchanges: [exchange(replaceReq, replaceRes), exchange(getReq, replaceRes)],
      durationMs: 1820,
    }),
    base({
      id: 'put.errors.no-5xx',
      title: 'Server error on a valid PUT',
      status: 'failed',
      area: 'errors',
      source: 'RFC 7644 §3.12',
      message: `Received: 500 with a text/html body\nExpected: 2xx, or a 4xx SCIM Error\n\nBody starts: ${HOSTILE_TEXT}`,
      counterexample: { request: hostileReq, response: hostileRes },
      reproduce: curl(hostileReq),
      exchanges: [exchange(hostileReq, hostileRes)],
    }),
    base({
      id: 'put.uniqueness.scimtype',
      title: 'Uniqueness conflict carries a PATCH-only scimType',
      status: 'warned',
      level: 'SHOULD',
      area: 'uniqueness',
      source: 'RFC 7644 §3.12 Table 9',
      message: 'Received: 409 scimType "noTarget"\nExpected: scimType "uniqueness"\n\nnoTarget applies to PATCH only.',
      counterexample: { request: noScimTypeReq, response: noScimTypeRes },
      reproduce: curl(noScimTypeReq),
    }),
    base({
      id: 'put.transport.timeout',
      title: 'PUT did not answer',
      status: 'failed',
      area: 'stability',
      message: 'Received: no response within 10 s\nExpected: an answer',
      counterexample: { request: replaceReq, response: null },
      reproduce: curl(replaceReq),
      exchanges: [exchange(replaceReq, null, { code: 'UND_ERR_HEADERS_TIMEOUT', message: 'Headers Timeout Error' })],
    }),
    base({
      id: 'put.replace.omitted-attributes',
      title: 'Omitted readWrite attributes',
      status: 'observed',
      level: 'MAY',
      area: 'replace',
      message: 'Omitted attributes were retained.',
      traits: { 'omitted.name': 'retained', 'omitted.active': 'retained' },
    }),
    base({
      id: 'put.etag.if-match-stale',
      title: 'Stale If-Match answers 412',
      status: 'skipped',
      area: 'etag',
      source: 'RFC 7644 §3.14',
      message: 'ServiceProviderConfig declares etag.supported: false',
    }),
  ]
  return report(results, {
    specFindings: [
      { id: 'spec.errors.no-409', level: 'SHOULD', source: 'RFC 7644 §3.12 Table 8', message: 'The document declares no 409 for PUT /Users/{id}; the RFC answers uniqueness conflicts with 409.' },
      { id: 'spec.errors.scimtype-notarget', level: 'MUST', source: 'RFC 7644 §3.12', message: 'scimType enum lists noTarget, a PATCH-only keyword, for <PUT> errors.' },
    ],
    traits: { 'omitted.name': 'retained', 'omitted.active': 'retained', 'schemas.case-variant': 'rejected 400' },
    discoveryNotes: ['/Schemas answered 404: mutability taken from the vendor document'],
  })
}
