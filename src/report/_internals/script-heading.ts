/**
 * What a failure's reproduction script works on and the variables it needs, read from the script itself
 * (src/run/reproduction.ts): its own test users, or the `--user-id` user it puts back; a bearer token or Basic.
 */
export function scriptHeading(script: string): string {
  const borrows = script.includes('SCIM_USER_ID')
  const credential = script.includes('SCIM_BASIC_USER') ? ['SCIM_BASIC_USER', 'SCIM_BASIC_PASSWORD'] : ['SCIM_TOKEN']
  const needs = ['SCIM_BASE', ...credential, ...(borrows ? ['SCIM_USER_ID'] : [])]
  const names = `${needs.slice(0, -1).join(', ')} and ${needs.at(-1)}`
  const works = borrows ? 'on the user SCIM_USER_ID, put back as it was' : 'creates its own test users'
  return `Reproduction script (${works}; set ${names}):`
}
