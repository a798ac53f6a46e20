import { describe, expect, test } from 'vitest'
import { redactSecret } from './redact.ts'

describe('redactSecret', () => {
  test.each([
    {
      given: 'Bearer abc.defgh and again abc.defgh',
      secret: 'abc.defgh',
      want: 'Bearer [redacted] and again [redacted]',
    },
    { given: 'https://x.example/?t=a%2Fb%3Dcdefg', secret: 'a/b=cdefg', want: 'https://x.example/?t=[redacted]' },
    {
      given: 'regex chars a.*bcdefg stay literal: aXXbcdefg',
      secret: 'a.*bcdefg',
      want: 'regex chars [redacted] stay literal: aXXbcdefg',
    },
    // A short token cannot be told from text (Too, aTb), but stands out alone: a whole JSON string, after its scheme.
    {
      given: 'Too short, aTb, yet {"k":"T"} and Bearer T',
      secret: 'T',
      want: 'Too short, aTb, yet {"k":"[redacted]"} and Bearer [redacted]',
    },
    // Before parsing: a body that escapes the token, or a header name the client lower-cased.
    { given: '{"echo":"\\u0073\\u0033cr3t-x"}', secret: 's3cr3t-x', want: '{"echo":"[redacted]"}' },
    { given: 'x-S3CR3T-X: 1 and s3cr3t-x: 2', secret: 'S3cr3t-X', want: 'x-[redacted]: 1 and [redacted]: 2' },
    { given: 'nothing to hide', secret: null, want: 'nothing to hide' },
    { given: 'nothing to hide', secret: '', want: 'nothing to hide' },
  ])('$given', ({ given, secret, want }) => {
    expect(redactSecret(given, secret)).toBe(want)
  })

  test('takes a replacement', () => {
    expect(redactSecret('Bearer s3cr3t-x', 's3cr3t-x', '$SCIM_TOKEN')).toBe('Bearer $SCIM_TOKEN')
  })
})
