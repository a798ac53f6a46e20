import { resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type SwaggerParser from '@apidevtools/swagger-parser'
import { SpecLoadError } from '../errors.ts'
import { checkSpecFile, confinedResolvers, SpecReadRefusal, type SpecReadOptions } from './spec-files.ts'

/** A dereferenced OpenAPI 3.x document; its shape is checked field by field where it is read. */
export type OpenApiDocument = Record<string, unknown> & { openapi?: string; paths?: Record<string, unknown> }

export interface LoadSpecOptions extends SpecReadOptions {
  /** Check the document against the OpenAPI schema. @defaultValue true */
  validate?: boolean
}

/**
 * Reads, validates and dereferences an OpenAPI 3.0 or 3.1 document with swagger-parser. Vendors point the
 * tool at production with their token, so the files it reads are confined (see `confinedResolvers`):
 * `$ref`s stay in the spec's folder, never /proc, /sys or /dev, http(s) only with `allowRemoteRefs`, every
 * file size- and time-capped. Circular `$ref`s are kept as object cycles; `toJsonSchema` cuts them.
 * Every failure becomes one `SpecLoadError` whose message names the file and the first problem.
 */
export async function loadSpec(specPath: string, options: LoadSpecOptions = {}): Promise<OpenApiDocument> {
  let specDir: string
  try {
    specDir = await checkSpecFile(specPath, options)
  } catch (error) {
    if (!(error instanceof SpecReadRefusal)) throw error
    const hint = /^cannot read/.test(error.reason) ? '. Pass --spec with a path to an OpenAPI 3.x document.' : ''
    throw new SpecLoadError(`${specPath}: ${error.reason}${hint}`)
  }
  const { resolve: resolvers, refusals } = confinedResolvers(specPath, specDir, options)
  // Imported on first use: the checks' workers receive the run's profile and never read a spec (issue 15).
  const { default: Parser } = await import('@apidevtools/swagger-parser')
  const parser = new Parser()
  let api: OpenApiDocument
  try {
    // Validation compiles OpenAPI's meta-schema (~300 ms); workers skip it for a spec the run already validated.
    const parserOptions: SwaggerParser.Options = { resolve: resolvers }
    const parsed =
      options.validate === false
        ? await parser.dereference(specPath, parserOptions)
        : await parser.validate(specPath, parserOptions)
    api = parsed as unknown as OpenApiDocument
  } catch (cause) {
    // The parser rewraps what a resolver throws; the resolver's own refusal says it best.
    if (refusals.length > 0) throw new SpecLoadError(refusalLine(specPath, refusals[0], parser), { cause })
    const raw = cause instanceof Error ? cause.message : String(cause)
    const detail = raw
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(0, 2)
      .join(': ')
    throw new SpecLoadError(`${specPath}: not a valid OpenAPI 3.x document: ${detail}`, { cause })
  }
  const version = String(api.openapi ?? (api as { swagger?: string }).swagger ?? '')
  if (!/^3\.[01]\./.test(version)) {
    throw new SpecLoadError(
      `${specPath}: unsupported OpenAPI version "${version || 'none'}". Use an OpenAPI 3.0 or 3.1 document.`,
    )
  }
  return api
}

/** `specs/x.yaml: $ref "../../etc/hostname" points outside ...`: the ref as written, found in the documents read. */
function refusalLine(specPath: string, refusal: SpecReadRefusal, parser: SwaggerParser): string {
  const root = comparable(pathToFileURL(resolve(specPath)))
  const target = comparable(fromParser(refusal.url))
  if (target === root) return `${specPath}: ${refusal.reason}`
  const documents = Object.entries(parser.$refs.values() as Record<string, unknown>)
  for (const [documentPath, document] of documents) {
    const ref = findRef(document, (written) => comparable(fromParser(written, documentPath)) === target)
    if (ref === undefined) continue
    const where = comparable(fromParser(documentPath)) === root ? '' : ` (in ${documentPath})`
    return `${specPath}: $ref "${ref}"${where} ${refusal.reason}`
  }
  return `${specPath}: $ref to "${refusal.url}" ${refusal.reason}`
}

/** A URL from what the parser uses: absolute URLs, or URL-encoded absolute paths; `base` resolves a relative one. */
function fromParser(url: string, base?: string): URL | null {
  try {
    return new URL(url, base === undefined ? 'file:///' : new URL(base, 'file:///'))
  } catch {
    return null
  }
}

/** A file path or URL without its fragment, for comparing two references. */
function comparable(url: URL | null): string | null {
  if (url === null) return null
  const copy = new URL(url)
  copy.hash = ''
  try {
    return copy.protocol === 'file:' ? fileURLToPath(copy) : copy.href
  } catch {
    return copy.href
  }
}

function findRef(value: unknown, matches: (ref: string) => boolean, seen = new Set<object>()): string | undefined {
  if (value === null || typeof value !== 'object' || seen.has(value)) return undefined
  seen.add(value)
  const ref = (value as { $ref?: unknown }).$ref
  if (typeof ref === 'string' && matches(ref)) return ref
  for (const child of Object.values(value)) {
    const found = findRef(child, matches, seen)
    if (found !== undefined) return found
  }
  return undefined
}
