import fc from 'fast-check'

/** Domains reserved for documentation (RFC 2606), so a generated address never reaches a real mailbox. */
export const EXAMPLE_DOMAINS = ['example.com', 'example.org', 'example.net'] as const

const ALNUM_LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789'
const ALNUM = `${ALNUM_LOWER}ABCDEFGHIJKLMNOPQRSTUVWXYZ`

// Scripts and shapes that break naive servers: accents (precomposed and combining), CJK, Hangul,
// Greek, Cyrillic, right-to-left text, emoji with a ZWJ sequence and a flag.
const NON_ASCII = [
  'é', 'ü', 'ñ', 'ø', 'ß', 'Łódź', 'Çağrı', 'Åsa', 'e\u0301', '山田', '太郎', '李小龍', '김민준',
  'Ωμέγα', 'Москва', 'مرحبا', 'שלום', '🙂', '👩‍💻', '🇫🇷', 'Zoë',
] as const

const WHITESPACE = ['', '', '', '', ' ', '  ', '\t', '\u00a0'] as const

function word(maxLength = 10): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 1, maxLength })
}

/** A few words mixing ASCII, non-ASCII and punctuation. */
function phrase(): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { arbitrary: word(), weight: 6 },
    { arbitrary: fc.constantFrom(...NON_ASCII), weight: 3 },
    { arbitrary: fc.constantFrom('-', "'", '.', ',', '&', '(x)'), weight: 1 },
  )
  return fc.array(piece, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(' '))
}

/** Cuts or pads to a length measured in code points, the unit JSON Schema's minLength/maxLength count. */
export function fitLength(value: string, minLength: number, maxLength: number): string {
  // A code point takes one or two UTF-16 units: skip counting when the unit length already decides.
  if (value.length <= maxLength && value.length >= 2 * minLength) return value
  const points = Array.from(value)
  if (points.length > maxLength) return points.slice(0, Math.max(maxLength, minLength)).join('')
  if (points.length < minLength) return value + 'x'.repeat(minLength - points.length)
  return value
}

export interface TextConstraints {
  /** @defaultValue 1 */
  minLength?: number
  /** Longest value, in code points. @defaultValue 1024 */
  maxLength?: number
}

/**
 * Free text as identity providers send it: mostly short words, with non-ASCII scripts and emoji,
 * sometimes leading/trailing whitespace, sometimes a long value (256 code points up to `maxLength`).
 */
export function freeText(constraints: TextConstraints = {}): fc.Arbitrary<string> {
  const minLength = constraints.minLength ?? 1
  const maxLength = Math.max(constraints.maxLength ?? 1024, minLength)
  const padded = fc
    .tuple(fc.constantFrom(...WHITESPACE), phrase(), fc.constantFrom(...WHITESPACE))
    .map(([lead, body, trail]) => `${lead}${body}${trail}`)
  const arbitraries: fc.WeightedArbitrary<string>[] = [{ arbitrary: padded, weight: 12 }]
  if (maxLength >= 256) {
    const long = fc.tuple(fc.integer({ min: 256, max: maxLength }), phrase()).map(([n, seed]) => {
      const unit = `${seed} `
      const points = Array.from(unit)
      return unit.repeat(Math.floor(n / points.length)) + points.slice(0, n % points.length).join('')
    })
    arbitraries.push({ arbitrary: long, weight: 1 })
  }
  return fc.oneof(...arbitraries).map((s) => fitLength(s, minLength, maxLength))
}

/** A lower-case ASCII token, e.g. for an email local part. */
export function token(minLength = 1, maxLength = 10): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...ALNUM_LOWER), minLength, maxLength })
}

/** An address that every validator accepts: `local[.part]@example.{com,org,net}`. */
export function plainEmail(): fc.Arbitrary<string> {
  return fc
    .tuple(token(1, 12), fc.option(token(1, 8), { nil: undefined }), fc.constantFrom(...EXAMPLE_DOMAINS))
    .map(([local, sub, domain]) => `${sub ? `${local}.${sub}` : local}@${domain}`)
}

/** An `https` URL on a documentation domain. */
export function plainUrl(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...EXAMPLE_DOMAINS), fc.array(token(1, 8), { maxLength: 3 }))
    .map(([domain, segments]) => `https://${domain}/${segments.join('/')}`)
}

const DATE_RANGE = { min: new Date('2000-01-01T00:00:00.000Z'), max: new Date('2099-12-31T23:59:59.999Z'), noInvalidDate: true }

/** Values for the `format`s ajv-formats checks; `undefined` for a format with no generator (plain text is used). */
export function formatted(format: string): fc.Arbitrary<string> | undefined {
  switch (format) {
    case 'email': case 'idn-email': return plainEmail()
    case 'date-time': return fc.date(DATE_RANGE).map((d) => d.toISOString())
    case 'date': return fc.date(DATE_RANGE).map((d) => d.toISOString().slice(0, 10))
    case 'time': return fc.date(DATE_RANGE).map((d) => d.toISOString().slice(11))
    case 'uri': case 'url': case 'iri': case 'uri-reference': case 'iri-reference': return plainUrl()
    case 'uuid': return fc.uuid()
    case 'ipv4': return fc.ipV4()
    case 'ipv6': return fc.ipV6()
    case 'hostname': case 'idn-hostname': return fc.tuple(token(1, 10), fc.constantFrom(...EXAMPLE_DOMAINS)).map(([h, d]) => `${h}.${d}`)
    case 'byte': return fc.base64String({ maxLength: 64 })
    default: return undefined
  }
}
