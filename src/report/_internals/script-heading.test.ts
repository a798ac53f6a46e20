import { expect, test } from 'vitest'
import { scriptHeading } from './script-heading.ts'

test.each([
  ['curl -H "Authorization: Bearer $SCIM_TOKEN"', 'creates its own test users; set SCIM_BASE and SCIM_TOKEN'],
  [
    'curl -u "$SCIM_BASIC_USER:$SCIM_BASIC_PASSWORD"',
    'creates its own test users; set SCIM_BASE, SCIM_BASIC_USER and SCIM_BASIC_PASSWORD',
  ],
  [
    'U1="$SCIM_USER_ID"\ncurl -H "Authorization: Bearer $SCIM_TOKEN"',
    'on the user SCIM_USER_ID, put back as it was; set SCIM_BASE, SCIM_TOKEN and SCIM_USER_ID',
  ],
])('a script of %j is introduced with what it works on and needs', (script, heading) => {
  expect(scriptHeading(script)).toBe(`Reproduction script (${heading}):`)
})
