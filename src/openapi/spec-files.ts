import { constants, type Stats } from 'node:fs'
import { open, realpath, stat } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type SwaggerParser from '@apidevtools/swagger-parser'

/**
 * Largest spec file read, the top file or a referenced one. Vendor documents are well under 1 MiB;
 * the cap keeps a mistaken path (a log, an image, a disk) from filling memory.
 */
export const MAX_SPEC_BYTES = 10 * 1024 * 1024

/** Longest one spec file may take to stat and read: a hung network mount must not hang the run. */
export const SPEC_READ_TIMEOUT_MS = 10_000

/** Never read, whatever a `$ref` or `--spec` says: their files are the process, kernel and devices, not documents. */
const SYSTEM_DIRS = ['/proc', '/sys', '/dev']

export interface SpecReadOptions {
  /** Read `$ref`s to http(s) URLs. Local files stay confined to the spec's folder either way. @defaultValue false */
  allowRemoteRefs?: boolean
  /** @defaultValue {@link MAX_SPEC_BYTES} */
  maxBytes?: number
  /** @defaultValue {@link SPEC_READ_TIMEOUT_MS} */
  timeoutMs?: number
}

/** Why one file or URL was not read, worded to follow its name: `is not a regular file`. */
export class SpecReadRefusal extends Error {
  constructor(
    /** The URL or path the parser asked for. */
    readonly url: string,
    readonly reason: string,
  ) {
    super(reason)
  }
}

const MiB = (n: number) => `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`

function kindOf(info: Stats): string {
  if (info.isCharacterDevice()) return 'a character device'
  if (info.isBlockDevice()) return 'a block device'
  if (info.isFIFO()) return 'a FIFO'
  if (info.isSocket()) return 'a socket'
  return 'not a file'
}

const isInside = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep)
const systemDirOf = (path: string) => SYSTEM_DIRS.find((d) => isInside(path, d))

/** Rejects after `ms` with the refusal `onTimeout` gives; the timer never keeps the process alive. */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms)
    timer.unref()
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Checks the `--spec` path before anything reads it: a regular file, not under /proc, /sys or /dev, at most
 * `maxBytes`. Returns the real path of its folder, the one `$ref`s are confined to. Throws a `SpecReadRefusal`.
 */
export async function checkSpecFile(specPath: string, options: SpecReadOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? SPEC_READ_TIMEOUT_MS
  const absolute = resolve(specPath)
  return withTimeout(
    (async () => {
      let info: Awaited<ReturnType<typeof stat>>
      try {
        info = await stat(absolute)
      } catch {
        throw new SpecReadRefusal(absolute, 'cannot read the spec file (no such file, or no permission)')
      }
      if (info.isDirectory()) throw new SpecReadRefusal(absolute, 'is a directory, not a spec file')
      // A device or FIFO (/dev/zero, /dev/stdin) would be read without end, or block waiting for a writer.
      if (!info.isFile()) throw new SpecReadRefusal(absolute, `is not a regular file (${kindOf(info)})`)
      // /proc/self/environ is a "regular" file of size 0 to stat: refused by where it is.
      const real = await realpath(absolute).catch(() => absolute)
      const system = systemDirOf(absolute) ?? systemDirOf(real)
      if (system)
        throw new SpecReadRefusal(absolute, `is under ${system}; spec files are never read from /proc, /sys or /dev`)
      const maxBytes = options.maxBytes ?? MAX_SPEC_BYTES
      if (info.size > maxBytes)
        throw new SpecReadRefusal(absolute, `is ${MiB(info.size)}, more than the ${MiB(maxBytes)} a spec file may have`)
      // The folder as named, resolved: `./x.yaml` refs resolve against it, so the confinement must too.
      return realpath(dirname(absolute)).catch(() => dirname(absolute))
    })(),
    timeoutMs,
    () => new SpecReadRefusal(absolute, `took more than ${timeoutMs / 1000} s to read (a hung network mount?)`),
  )
}

/** A file path from the URL or URL-encoded path the parser hands its resolvers. */
function toFilePath(url: string): string {
  if (/^file:/i.test(url)) return fileURLToPath(url)
  // json-schema-ref-parser encodes plain paths with encodeURI plus these (its url.toFileSystemPath).
  return resolve(
    decodeURI(url)
      .replace(/%23/g, '#')
      .replace(/%24/g, '$')
      .replace(/%26/g, '&')
      .replace(/%2C/g, ',')
      .replace(/%40/g, '@')
      .replace(/%3F/gi, '?'),
  )
}

const isHttp = (url: string) => /^https?:\/\//i.test(url)
const isFileLike = (url: string) => /^file:/i.test(url) || !/^[a-z][a-z\d+.-]*:/i.test(url)

/**
 * swagger-parser resolver options that read only what a conformance run needs: the spec file `specPath`
 * (named by the user, so read wherever its symlink leads) and files in `specDir` (its folder's real path)
 * and below, judged by their real path so that symlinks cannot lead out; never /proc, /sys or /dev; each
 * at most `maxBytes` and within `timeoutMs`; http(s) only with `allowRemoteRefs`. Every refusal throws a
 * `SpecReadRefusal`; `refusals` keeps them, since the parser rewraps what resolvers throw.
 */
export function confinedResolvers(
  specPath: string,
  specDir: string,
  options: SpecReadOptions = {},
): { resolve: NonNullable<SwaggerParser.Options['resolve']>; refusals: SpecReadRefusal[] } {
  const maxBytes = options.maxBytes ?? MAX_SPEC_BYTES
  const timeoutMs = options.timeoutMs ?? SPEC_READ_TIMEOUT_MS
  const refusals: SpecReadRefusal[] = []
  const fail = (url: string, reason: string): SpecReadRefusal => {
    const refusal = new SpecReadRefusal(url, reason)
    refusals.push(refusal)
    return refusal
  }
  const tooSlow = (url: string) => () =>
    fail(url, `took more than ${timeoutMs / 1000} s to read (a hung network mount?)`)

  const readFile = async (url: string): Promise<Buffer> => {
    let path: string
    try {
      path = toFilePath(url)
    } catch {
      throw fail(url, 'is not a file path or file: URL this tool reads')
    }
    const system = systemDirOf(path)
    if (system) throw fail(url, `points into ${system}; spec files are never read from /proc, /sys or /dev`)
    const isRoot = path === resolve(specPath)
    const outside = `points outside the spec's folder (${specDir}); only files in that folder and below are read`
    // Refused before it is touched, so that a spec cannot even probe which files exist elsewhere.
    if (!isRoot && !isInside(path, specDir) && !isInside(path, dirname(resolve(specPath)))) throw fail(url, outside)
    let real: string
    try {
      real = await realpath(path)
    } catch {
      throw fail(url, `cannot be read (no such file, or no permission: ${path})`)
    }
    const realSystem = systemDirOf(real)
    if (realSystem) throw fail(url, `points into ${realSystem}; spec files are never read from /proc, /sys or /dev`)
    // A symlink inside the folder may lead out of it: the real path decides.
    if (!isRoot && !isInside(real, specDir)) throw fail(url, outside)
    // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the checked real path is what is opened.
    const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW).catch(() => {
      throw fail(url, `cannot be read (no permission: ${real})`)
    })
    try {
      const info = await handle.stat()
      if (!info.isFile()) throw fail(url, 'is not a regular file (a device, FIFO or socket)')
      if (info.size > maxBytes)
        throw fail(url, `is ${MiB(info.size)}, more than the ${MiB(maxBytes)} a spec file may have`)
      // Read to the end rather than trusting the size: a file may grow while it is read.
      const chunks: Buffer[] = []
      let total = 0
      for (;;) {
        const chunk = Buffer.allocUnsafe(Math.min(1 << 16, maxBytes + 1 - total))
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null)
        if (bytesRead === 0) break
        chunks.push(chunk.subarray(0, bytesRead))
        total += bytesRead
        if (total > maxBytes) throw fail(url, `is more than the ${MiB(maxBytes)} a spec file may have`)
      }
      return Buffer.concat(chunks)
    } finally {
      await handle.close()
    }
  }

  const readHttp = async (url: string): Promise<Buffer> => {
    // fetch follows http(s) redirects only, so a remote document cannot redirect to a local file.
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).catch((e: unknown) => {
      throw fail(url, `cannot be downloaded: ${e instanceof Error ? e.message : String(e)}`)
    })
    if (!response.ok) throw fail(url, `answered HTTP ${response.status}`)
    const declared = Number(response.headers.get('content-length') ?? 0)
    if (declared > maxBytes) throw fail(url, `is ${MiB(declared)}, more than the ${MiB(maxBytes)} a spec file may have`)
    const chunks: Buffer[] = []
    let total = 0
    const reader = response.body?.getReader()
    try {
      for (;;) {
        const next = await reader?.read()
        if (!next || next.done) break
        chunks.push(Buffer.from(next.value))
        total += next.value.byteLength
        if (total > maxBytes) throw fail(url, `is more than the ${MiB(maxBytes)} a spec file may have`)
      }
    } finally {
      await reader?.cancel().catch(() => undefined)
    }
    return Buffer.concat(chunks)
  }

  return {
    refusals,
    resolve: {
      external: true,
      file: {
        order: 100,
        canRead: (file: SwaggerParser.FileInfo) => isFileLike(file.url),
        read: (file: SwaggerParser.FileInfo) => withTimeout(readFile(file.url), timeoutMs, tooSlow(file.url)),
      },
      http: options.allowRemoteRefs
        ? {
            order: 200,
            canRead: (file: SwaggerParser.FileInfo) => isHttp(file.url),
            read: (file: SwaggerParser.FileInfo) => withTimeout(readHttp(file.url), timeoutMs, tooSlow(file.url)),
          }
        : false,
      // Everything else (http without the flag, ftp:, data:, ...) is refused by name instead of "Unable to resolve".
      refuse: {
        order: 300,
        canRead: (file: SwaggerParser.FileInfo) =>
          !isFileLike(file.url) && !(options.allowRemoteRefs && isHttp(file.url)),
        read: (file: SwaggerParser.FileInfo) => {
          throw fail(
            file.url,
            isHttp(file.url)
              ? 'is a remote URL; remote $refs are read only with --allow-remote-refs'
              : "uses a scheme this tool does not read; only files in the spec's folder are read",
          )
        },
      },
    },
  }
}
