/** Markup that is already escaped. Only `html` and `rawHtml` make one. */
export class SafeHtml {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html
  }
}

/** A value a template may interpolate: text is escaped, SafeHtml kept, arrays joined, nullish/false render nothing. */
export type HtmlPart = SafeHtml | string | number | boolean | null | undefined | readonly HtmlPart[]

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c)
}

function render(part: HtmlPart): string {
  if (part === null || part === undefined || part === false) return ''
  if (part instanceof SafeHtml) return part.html
  if (Array.isArray(part)) return part.map(render).join('')
  return escapeHtml(String(part))
}

/**
 * Tagged template that escapes every interpolation, so text from the server (bodies, headers,
 * messages) can never become markup. Attribute values must sit inside double quotes.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlPart[]): SafeHtml {
  let out = strings[0] ?? ''
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '')
  return new SafeHtml(out)
}

/** Trusts a constant string (the stylesheet, the script) as markup. Never pass data here. */
export function rawHtml(markup: string): SafeHtml {
  return new SafeHtml(markup)
}
