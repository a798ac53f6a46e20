import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A loopback HTTP proxy that holds every request `delayMs` before forwarding it: a remote SCIM service, simulated. */
export interface LatencyProxy {
  /** `http://127.0.0.1:PORT` */
  origin: string
  /** Requests forwarded so far. */
  readonly forwarded: number
  close(): Promise<void>
}

/**
 * Starts a proxy on 127.0.0.1 (port 0) in front of `target` (an origin). Each request waits `delayMs` (one
 * network round trip of a service that far away) and is then forwarded with its method, path, headers and
 * body; the answer streams back unchanged. Requests in flight wait side by side, as on a real network.
 */
export async function startLatencyProxy(target: string, delayMs: number): Promise<LatencyProxy> {
  const upstream = new URL(target)
  let forwarded = 0
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      setTimeout(() => {
        forwarded++
        const out = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: upstream.host },
          },
          (answer: IncomingMessage) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(res)
          },
        )
        out.on('error', (error) => {
          res.writeHead(502, { 'content-type': 'text/plain' })
          res.end(`latency proxy: ${error.message}`)
        })
        out.end(Buffer.concat(chunks))
      }, delayMs)
    })
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    get forwarded() {
      return forwarded
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
