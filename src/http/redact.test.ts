import { describe, expect, test } from 'vitest'
import { redactSecret } from './redact.ts'

describe('redactSecret', () => {
  test.each([
    { given: 'Bearer abc.def and again abc.def', secret: 'abc.def', want: 'Bearer [redacted] and again [redacted]' },
    { given: 'https://x.example/?t=a%2Fb%3D', secret: 'a/b=', want: 'https://x.example/?t=[redacted]' },
    { given: 'regex chars a.*b stay literal: aXXb', secret: 'a.*b', want: 'regex chars [redacted] stay literal: aXXb' },
    { given: 'nothing to hide', secret: null, want: 'nothing to hide' },
    { given: 'nothing to hide', secret: '', want: 'nothing to hide' },
  ])('$given', ({ given, secret, want }) => {
    expect(redactSecret(given, secret)).toBe(want)
  })

  test('takes a replacement', () => {
    expect(redactSecret('Bearer s3cr3t', 's3cr3t', '$SCIM_TOKEN')).toBe('Bearer $SCIM_TOKEN')
  })
})
