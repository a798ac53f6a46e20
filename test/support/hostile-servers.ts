import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A throwaway HTTP server that misbehaves on purpose, for the hostile-target tests. */
export interface HostileServer {
  /** `http://HOST:PORT` */
  origin: string
  /** Requests received so far, as `METHOD /path`. */
  readonly requests: string[]
  /** Closes the server and destroys every connection, including the ones it holds open on purpose. */
  close(): Promise<void>
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** Starts `handler` on `host`, port 0 (the OS picks a free one). */
export async function listen(handler: Handler, host = '127.0.0.1'): Promise<HostileServer> {
  const requests: string[] = []
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    handler(req, res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  return {
    origin: `http://${host}:${port}`,
    requests,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        // The hanging and half-written responses would otherwise hold close() open forever.
        server.closeAllConnections()
      })
      return closing
    },
  }
}

/** The origin of a port nothing listens on any more: connecting to it is refused. */
export async function refusedOrigin(): Promise<string> {
  const server = await listen(() => {})
  await server.close()
  return server.origin
}

/** What a hostile server does with a PUT instead of forwarding it. */
export type PutSabotage = (req: IncomingMessage, res: ServerResponse) => void

/** Runs `then` once the request body has been read in full, so a sabotaged answer never races the upload. */
function afterBody(req: IncomingMessage, then: () => void): void {
  req.resume()
  if (req.readableEnded) then()
  else req.once('end', then)
}

/** The PUT misbehaviours of the brief, each a function of (req, res). */
export const SABOTAGE = {
  /** Headers out, then the connection is torn down before any body byte. */
  reset: ((req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'application/scim+json', 'content-length': '100' })
      res.flushHeaders()
      // Let the header bytes leave before the reset, so the client is mid-response when it happens.
      setImmediate(() => res.socket?.destroy())
    })) satisfies PutSabotage,

  /** Never answers; the socket stays open until the client gives up or the server closes. */
  hang: ((req) => {
    req.resume()
  }) satisfies PutSabotage,

  /** 200 with a SCIM media type and a body that is not JSON. */
  notJson: ((req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'application/scim+json' }).end('<<garbage')
    })) satisfies PutSabotage,

  /** Announces 1000 body bytes, sends 12, then closes the connection. */
  truncated: ((req, res) =>
    afterBody(req, () => {
      res.socket?.end(
        'HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: 1000\r\n\r\n{"id":"trunc',
      )
    })) satisfies PutSabotage,

  /**
   * Announces 5 body bytes and sends a whole resource on a kept-alive connection: the rest lands where the next
   * response should start.
   */
  shortContentLength: ((req, res) =>
    afterBody(req, () => {
      const body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"x","userName":"short@example.com"}'
      res.socket?.write(`HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: 5\r\n\r\n${body}`)
    })) satisfies PutSabotage,

  /** A 500 error page in HTML, as a proxy or framework default would send it. */
  html500: ((req, res) =>
    afterBody(req, () => {
      res
        .writeHead(500, { 'content-type': 'text/html; charset=utf-8' })
        .end(
          '<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>' +
            '<body><h1>Internal Server Error</h1><p>nginx</p></body></html>',
        )
    })) satisfies PutSabotage,
}

/** 200 with valid-looking headers, then one body byte every `everyMs` for ever (no gap an idle timeout would catch). */
export function trickleBody(everyMs: number): PutSabotage {
  return (req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'application/scim+json' }).write('{')
      const drip = setInterval(() => res.write(' '), everyMs)
      res.once('close', () => clearInterval(drip))
    })
}

/** 200, then body bytes as fast as the client takes them, for ever (written with backpressure). */
export const endlessBody: PutSabotage = (req, res) =>
  afterBody(req, () => {
    res.writeHead(200, { 'content-type': 'application/scim+json' }).write('{"pad":"')
    const chunk = Buffer.alloc(64 * 1024, 'a')
    const pump = (): void => {
      while (!res.destroyed) {
        if (!res.write(chunk)) {
          res.once('drain', pump)
          return
        }
      }
    }
    pump()
  })

/** A status line, then one header line every `everyMs` for ever: the blank line that ends the headers never comes. */
export function slowHeaders(everyMs: number): PutSabotage {
  return (req, res) =>
    afterBody(req, () => {
      const socket = res.socket
      if (!socket) return
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\n')
      let n = 0
      const drip = setInterval(() => socket.write(`X-Slow-${n++}: ${n}\r\n`), everyMs)
      socket.once('close', () => clearInterval(drip))
    })
}

/** 200 with a body of `bytes` bytes (a JSON string that never ends), written with backpressure. */
export function hugeBody(bytes: number): PutSabotage {
  const chunk = Buffer.alloc(1024 * 1024, 'a')
  return (req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'application/scim+json', 'content-length': String(bytes) })
      let left = bytes - 9
      res.write('{"pad":"a')
      const pump = (): void => {
        while (left > 0 && !res.destroyed) {
          const piece = left >= chunk.length ? chunk : chunk.subarray(0, left)
          left -= piece.length
          if (!res.write(piece)) {
            res.once('drain', pump)
            return
          }
        }
        if (!res.destroyed) res.end()
      }
      pump()
    })
}

/** 302 to `location` with an empty body. */
export function redirectTo(location: string): PutSabotage {
  return (req, res) =>
    afterBody(req, () => {
      res.writeHead(302, { location, 'content-length': '0' }).end()
    })
}

/** Options for {@link startProxy}. */
export interface ProxyOptions {
  /** Replaces the answer to every PUT (the upstream never sees it). @defaultValue forward it */
  put?: PutSabotage
  /** Milliseconds every response waits before it is forwarded. @defaultValue 0 */
  delayMs?: number
  /** Replaces the answer to every GET of /ServiceProviderConfig, /Schemas, /ResourceTypes. @defaultValue forward it */
  discovery?: PutSabotage
}

/**
 * A thin reverse proxy in front of a well-behaved server (the reference server): discovery, POST,
 * GET and DELETE pass through untouched, so the harness can create and clean up its test users, and
 * only PUT misbehaves.
 */
export async function startProxy(upstream: string, options: ProxyOptions = {}): Promise<HostileServer> {
  const target = new URL(upstream)
  const delayMs = options.delayMs ?? 0
  return listen((req, res) => {
    if (req.method === 'PUT' && options.put) {
      options.put(req, res)
      return
    }
    if (
      req.method === 'GET' &&
      options.discovery &&
      /\/(ServiceProviderConfig|Schemas|ResourceTypes)(\?|$)/.test(req.url ?? '')
    ) {
      options.discovery(req, res)
      return
    }
    const forward = () => {
      const out = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        },
      )
      out.on('error', () => res.destroy())
      req.pipe(out)
    }
    if (delayMs > 0) setTimeout(forward, delayMs)
    else forward()
  })
}

/** Answers `{}` with 200 to any request, whatever the method or path. */
export function startAnswerEverything200(): Promise<HostileServer> {
  return listen((req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'application/scim+json' }).end('{}')
    }),
  )
}
