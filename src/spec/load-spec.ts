import { access } from 'node:fs/promises'
import SwaggerParser from '@apidevtools/swagger-parser'
import { SpecLoadError } from '../errors.ts'

/** A dereferenced OpenAPI 3.x document; its shape is checked field by field where it is read. */
export type OpenApiDocument = Record<string, unknown> & { openapi?: string; paths?: Record<string, unknown> }

/**
 * Reads, validates and dereferences an OpenAPI 3.0 or 3.1 document with swagger-parser.
 * Every failure becomes one `SpecLoadError` whose message names the file and the first problem.
 * @param options.validate - check the document against the OpenAPI schema. @defaultValue true
 */
export async function loadSpec(specPath: string, options: { validate?: boolean } = {}): Promise<OpenApiDocument> {
  try {
    await access(specPath)
  } catch {
    throw new SpecLoadError(`${specPath}: cannot read the spec file (no such file, or no permission). Pass --spec with a path to an OpenAPI 3.x document.`)
  }
  let api: OpenApiDocument
  try {
    // Validation compiles OpenAPI's meta-schema (~300 ms); workers skip it for a spec the run already validated.
    const parsed = options.validate === false ? await SwaggerParser.dereference(specPath) : await SwaggerParser.validate(specPath)
    api = parsed as unknown as OpenApiDocument
  } catch (cause) {
    const raw = cause instanceof Error ? cause.message : String(cause)
    const detail = raw.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 2).join(': ')
    throw new SpecLoadError(`${specPath}: not a valid OpenAPI 3.x document: ${detail}`, { cause })
  }
  const version = String(api.openapi ?? (api as { swagger?: string }).swagger ?? '')
  if (!/^3\.[01]\./.test(version)) {
    throw new SpecLoadError(`${specPath}: unsupported OpenAPI version "${version || 'none'}". Use an OpenAPI 3.0 or 3.1 document.`)
  }
  return api
}
