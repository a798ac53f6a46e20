import { describe, expect, test } from 'vitest'
import { redactSecret } from './redact.ts'

describe('redactSecret', () => {
  test.each([
    { given: 'Bearer abc.defgh and again abc.defgh', secret: 'abc.defgh', want: 'Bearer [redacted] and again [redacted]' },
    { given: 'https://x.example/?t=a%2Fb%3Dcdefg', secret: 'a/b=cdefg', want: 'https://x.example/?t=[redacted]' },
    { given: 'regex chars a.*bcdefg stay literal: aXXbcdefg', secret: 'a.*bcdefg', want: 'regex chars [redacted] stay literal: aXXbcdefg' },
    { given: 'a token "T" cannot be told from text: Too short', secret: 'T', want: 'a token "T" cannot be told from text: Too short' },
    { given: 'nothing to hide', secret: null, want: 'nothing to hide' },
    { given: 'nothing to hide', secret: '', want: 'nothing to hide' },
  ])('$given', ({ given, secret, want }) => {
    expect(redactSecret(given, secret)).toBe(want)
  })

  test('takes a replacement', () => {
    expect(redactSecret('Bearer s3cr3t-x', 's3cr3t-x', '$SCIM_TOKEN')).toBe('Bearer $SCIM_TOKEN')
  })
})
