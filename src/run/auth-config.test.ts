import { describe, expect, test } from 'vitest'
import { UsageError } from '../errors.ts'
import { authConfig, type RawAuth } from './auth-config.ts'
import { buildConfig } from './config.ts'

const OAUTH = { oauthTokenUrl: 'https://idp.example/oauth/token', clientId: 'harness', clientSecret: 'cs-1234567890' }
const BASIC = { basic: true, basicUser: 'admin', basicPassword: 'pw-1234567890' }

describe('the credential flags: one scheme, secrets from the environment, one line per bad value', () => {
  test.each<{ name: string; raw: RawAuth; error: RegExp }>([
    { name: 'client id without token url', raw: { clientId: 'x' }, error: /^--client-id is part of OAuth/ },
    { name: 'scope without token url', raw: { scope: 'scim' }, error: /^--scope is part of OAuth client credentials/ },
    { name: 'audience alone', raw: { audience: 'api' }, error: /^--audience is part of OAuth/ },
    { name: 'resource alone', raw: { resource: 'https://api' }, error: /^--resource is part of OAuth/ },
    { name: 'resource not a URI', raw: { ...OAUTH, resource: 'scim-api' }, error: /absolute URI \(RFC 8707 §2\)/ },
    {
      name: 'resource with a fragment',
      raw: { ...OAUTH, resource: 'https://api.example/scim#v2' },
      error: /^--resource must not hold a fragment \(RFC 8707 §2\)/,
    },
    { name: 'token url not a URL', raw: { ...OAUTH, oauthTokenUrl: 'idp/token' }, error: /absolute http\(s\) URL/ },
    { name: 'token url ftp', raw: { ...OAUTH, oauthTokenUrl: 'ftp://idp/t' }, error: /must use http or https/ },
    { name: 'token url with a password', raw: { ...OAUTH, oauthTokenUrl: 'https://u:p@idp/t' }, error: /no user/ },
    { name: 'no client id', raw: { ...OAUTH, clientId: undefined }, error: /needs --client-id ID/ },
    { name: 'empty --client-id', raw: { ...OAUTH, clientId: ' ' }, error: /^--client-id needs a value\.$/ },
    {
      name: 'no client secret',
      raw: { ...OAUTH, clientSecret: undefined },
      error: /SCIM_CLIENT_SECRET \(never a flag/,
    },
    { name: 'basic without user', raw: { basic: true, basicPassword: 'x' }, error: /^--basic needs SCIM_BASIC_USER/ },
    {
      name: 'basic without password',
      raw: { basic: true, basicUser: 'a' },
      error: /^--basic needs SCIM_BASIC_PASSWORD/,
    },
    { name: 'user with a colon', raw: { ...BASIC, basicUser: 'a:b' }, error: /contains ":", which RFC 7617 §2/ },
    { name: 'token and basic', raw: { ...BASIC, token: 't' }, error: /^--token\/SCIM_TOKEN and --basic: choose one/ },
    { name: 'basic and oauth', raw: { ...BASIC, ...OAUTH }, error: /^--basic and --oauth-token-url: choose one/ },
    { name: 'header without colon', raw: { headers: ['X-Tenant acme'] }, error: /write it as 'Name: value'/ },
    { name: 'header bad name', raw: { headers: ['X Tenant: a'] }, error: /write it as 'Name: value'/ },
    { name: 'Authorization header', raw: { headers: ['Authorization: Bearer x'] }, error: /use --token, --basic/ },
    { name: 'Content-Type header', raw: { headers: ['content-type: text/plain'] }, error: /cannot be overridden/ },
    { name: 'Accept header', raw: { headers: ['Accept: */*'] }, error: /sets Accept itself/ },
    { name: 'Host header', raw: { headers: ['Host: other'] }, error: /sets Host itself/ },
    { name: 'header twice', raw: { headers: ['X-A: 1', 'x-a: 2'] }, error: /--header x-a is given twice/ },
  ])('$name', ({ raw, error }) => {
    let thrown: unknown
    try {
      authConfig(raw)
    } catch (e) {
      thrown = e
    }
    expect(thrown).toBeInstanceOf(UsageError)
    expect((thrown as Error).message).toMatch(error)
    expect((thrown as Error).message).not.toMatch(/\n/)
    // No message quotes a secret.
    expect((thrown as Error).message).not.toMatch(/cs-1234567890|pw-1234567890/)
  })

  test('valid settings', () => {
    expect(authConfig({ ...OAUTH, scope: 'scim', headers: 'X-Tenant: acme\nX-Trace:  a:b ' })).toEqual({
      basic: null,
      oauth: {
        tokenUrl: 'https://idp.example/oauth/token',
        clientId: 'harness',
        clientSecret: 'cs-1234567890',
        scope: 'scim',
        audience: null,
        resource: null,
      },
      headers: { 'x-tenant': 'acme', 'x-trace': 'a:b' },
    })
    // RFC 8707 §2: the URI as given, query and all (the authorization server compares it).
    expect(authConfig({ ...OAUTH, resource: 'https://api.example/scim/v2?tenant=a' }).oauth?.resource).toBe(
      'https://api.example/scim/v2?tenant=a',
    )
    // RFC 7617 allows an empty password.
    expect(authConfig({ ...BASIC, basicPassword: '' }).basic).toEqual({ user: 'admin', password: '' })
  })

  test('Basic and OAuth need --target (the embedded server takes a bearer token); headers do not', () => {
    expect(() => buildConfig({ ...BASIC })).toThrow(/^--basic needs --target URL/)
    expect(() => buildConfig({ ...OAUTH })).toThrow(/^--oauth-token-url needs --target URL/)
    expect(buildConfig({ headers: ['X-Tenant: acme'] }).headers).toEqual({ 'x-tenant': 'acme' })
    const config = buildConfig({ ...BASIC, target: 'http://127.0.0.1:1' })
    // Plain data: what vitest's provide hands to the worker.
    expect(structuredClone(config)).toEqual(config)
  })
})
