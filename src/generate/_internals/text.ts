import fc from 'fast-check'

/** Domains reserved for documentation (RFC 2606), so a generated address never reaches a real mailbox. */
export const EXAMPLE_DOMAINS = ['example.com', 'example.org', 'example.net'] as const

const ALNUM_LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789'
const ALNUM = `${ALNUM_LOWER}ABCDEFGHIJKLMNOPQRSTUVWXYZ`

// Scripts and shapes that break naive servers: accents (precomposed and combining), CJK, Hangul,
// Greek, Cyrillic, right-to-left text, emoji with a ZWJ sequence and a flag.
const NON_ASCII = [
  'é',
  'ü',
  'ñ',
  'ø',
  'ß',
  'Łódź',
  'Çağrı',
  'Åsa',
  'e\u0301',
  '山田',
  '太郎',
  '李小龍',
  '김민준',
  'Ωμέγα',
  'Москва',
  'مرحبا',
  'שלום',
  '🙂',
  '👩‍💻',
  '🇫🇷',
  'Zoë',
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

/** Every example domain has 11 characters: `@example.com` takes 12. */
const AT_DOMAIN_LENGTH = 12

/** Longest {@link plainEmail}: a 12-character local part, a dot and 8 more, then `@example.org`. */
const EMAIL_MAX_LENGTH = 12 + 1 + 8 + AT_DOMAIN_LENGTH

/** Shortest {@link plainEmail}: `a@example.com`. */
export const EMAIL_MIN_LENGTH = 1 + AT_DOMAIN_LENGTH

/** Shortest {@link plainUrl}: `https://example.com/`. */
export const URL_MIN_LENGTH = 'https://example.com/'.length

/**
 * An address that every validator accepts: `local[.part]@example.{com,org,net}`, at most `maxLength`
 * code points (the local part shortens; {@link EMAIL_MIN_LENGTH} at least).
 */
export function plainEmail(maxLength = Infinity): fc.Arbitrary<string> {
  if (maxLength >= EMAIL_MAX_LENGTH) {
    return fc
      .tuple(token(1, 12), fc.option(token(1, 8), { nil: undefined }), fc.constantFrom(...EXAMPLE_DOMAINS))
      .map(([local, sub, domain]) => `${sub ? `${local}.${sub}` : local}@${domain}`)
  }
  const room = maxLength - AT_DOMAIN_LENGTH
  if (room < 1)
    throw new RangeError(`plainEmail: no address fits in ${maxLength} code points (${EMAIL_MIN_LENGTH} at least).`)
  // The dotted part is dropped, rather than filtered out, when both parts together would not fit.
  const sub = room >= 3 ? fc.option(token(1, Math.min(8, room - 2)), { nil: undefined }) : fc.constant(undefined)
  return fc
    .tuple(token(1, Math.min(12, room)), sub, fc.constantFrom(...EXAMPLE_DOMAINS))
    .map(
      ([local, part, domain]) =>
        `${part && local.length + 1 + part.length <= room ? `${local}.${part}` : local}@${domain}`,
    )
}

/** Longest {@link plainUrl}: `https://example.org/` and three 8-character segments. */
const URL_MAX_LENGTH = URL_MIN_LENGTH + 3 * 8 + 2

/**
 * An `https` URL on a documentation domain, at most `maxLength` code points (the path is cut;
 * {@link URL_MIN_LENGTH} at least).
 */
export function plainUrl(maxLength = Infinity): fc.Arbitrary<string> {
  if (maxLength < URL_MIN_LENGTH)
    throw new RangeError(`plainUrl: no URL fits in ${maxLength} code points (${URL_MIN_LENGTH} at least).`)
  const url = fc
    .tuple(fc.constantFrom(...EXAMPLE_DOMAINS), fc.array(token(1, 8), { maxLength: 3 }))
    .map(([domain, segments]) => `https://${domain}/${segments.join('/')}`)
  // ASCII only, so UTF-16 units are code points; any cut after the host's slash is still a URL.
  return maxLength >= URL_MAX_LENGTH ? url : url.map((u) => u.slice(0, maxLength))
}

const DATE_RANGE = {
  min: new Date('2000-01-01T00:00:00.000Z'),
  max: new Date('2099-12-31T23:59:59.999Z'),
  noInvalidDate: true,
}

/**
 * Shortest and longest value {@link formatted} gives for a format, in code points; `undefined` for a
 * format with no generator. Below the shortest, no value of the format fits.
 */
export function formattedLengths(format: string): { min: number; max: number } | undefined {
  switch (format) {
    case 'email':
    case 'idn-email':
      return { min: EMAIL_MIN_LENGTH, max: EMAIL_MAX_LENGTH }
    case 'date-time':
      return { min: 'YYYY-MM-DDTHH:MM:SSZ'.length, max: 'YYYY-MM-DDTHH:MM:SS.sssZ'.length }
    case 'date':
      return { min: 10, max: 10 }
    case 'time':
      return { min: 'HH:MM:SSZ'.length, max: 'HH:MM:SS.sssZ'.length }
    case 'uri':
    case 'url':
    case 'iri':
    case 'uri-reference':
    case 'iri-reference':
      return { min: URL_MIN_LENGTH, max: URL_MAX_LENGTH }
    case 'uuid':
      return { min: 36, max: 36 }
    case 'ipv4':
      return { min: '0.0.0.0'.length, max: '255.255.255.255'.length }
    case 'ipv6':
      return { min: '::'.length, max: 39 }
    case 'hostname':
    case 'idn-hostname':
      return { min: 1, max: 10 + 1 + 11 }
    case 'byte':
      return { min: 0, max: 64 }
    default:
      return undefined
  }
}

/**
 * Values for the `format`s ajv-formats checks, at most `maxLength` code points (shorter forms when the
 * usual ones do not fit: no milliseconds, fewer digits, a shorter path); `undefined` for a format with no
 * generator (plain text is used). `maxLength` must be at least {@link formattedLengths}' `min`.
 */
export function formatted(format: string, maxLength = Infinity): fc.Arbitrary<string> | undefined {
  const lengths = formattedLengths(format)
  if (!lengths) return undefined
  if (maxLength < lengths.min)
    throw new RangeError(`formatted: no ${format} value fits in ${maxLength} code points (${lengths.min} at least).`)
  // Every value already fits: the usual generator, drawn exactly as before a maxLength was asked for.
  const fits = maxLength >= lengths.max
  switch (format) {
    case 'email':
    case 'idn-email':
      return plainEmail(maxLength)
    case 'date-time': {
      const iso = fc.date(DATE_RANGE).map((d) => d.toISOString())
      return fits ? iso : iso.map(withoutMillis)
    }
    case 'date':
      return fc.date(DATE_RANGE).map((d) => d.toISOString().slice(0, 10))
    case 'time': {
      const time = fc.date(DATE_RANGE).map((d) => d.toISOString().slice(11))
      return fits ? time : time.map(withoutMillis)
    }
    case 'uri':
    case 'url':
    case 'iri':
    case 'uri-reference':
    case 'iri-reference':
      return plainUrl(maxLength)
    case 'uuid':
      return fc.uuid()
    case 'ipv4': {
      if (fits) return fc.ipV4()
      // Four dots' worth of room shared by four octets: as many digits per octet as fit.
      const digits = Math.min(3, Math.floor((maxLength - 3) / 4))
      const octet = fc.nat({ max: Math.min(255, 10 ** digits - 1) })
      return fc.tuple(octet, octet, octet, octet).map((parts) => parts.join('.'))
    }
    case 'ipv6': {
      if (fits) return fc.ipV6()
      // `::` followed by up to seven groups, trailing groups dropped until the address fits.
      const group = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 4 })
      return fc.array(group, { maxLength: 7 }).map((groups) => {
        const kept = [...groups]
        while (kept.length > 0 && 2 + kept.join(':').length > maxLength) kept.pop()
        return `::${kept.join(':')}`
      })
    }
    case 'hostname':
    case 'idn-hostname': {
      if (fits) return fc.tuple(token(1, 10), fc.constantFrom(...EXAMPLE_DOMAINS)).map(([h, d]) => `${h}.${d}`)
      // A single label is a hostname too, when a documentation domain does not fit.
      const room = maxLength - 1 - 11
      return room >= 1
        ? fc.tuple(token(1, Math.min(10, room)), fc.constantFrom(...EXAMPLE_DOMAINS)).map(([h, d]) => `${h}.${d}`)
        : token(1, Math.min(10, maxLength))
    }
    case 'byte':
      return fc.base64String({ maxLength: Math.min(64, maxLength) })
    default:
      return undefined
  }
}

/** `…:SS.sssZ` → `…:SSZ`: the same instant to the second, four code points shorter. */
function withoutMillis(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, 'Z')
}
