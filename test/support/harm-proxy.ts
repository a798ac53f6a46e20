import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'

/** One request as the proxy received it. */
export interface ProxiedRequest {
  method: string
  /** Path and query, e.g. `/api/scim/v2/Users/abc`. */
  path: string
  headers: Record<string, string>
  body: string
}

/** One response, as the backend sent it or as a behaviour rewrote it. */
export interface ProxiedResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** What a proxy changes: the request before it is forwarded, the response before it is returned, or all of it. */
export interface ProxyBehaviour {
  /** Rewrites the request (e.g. another path); may call the backend itself through `backend`. */
  request?: (
    req: ProxiedRequest,
    backend: (req: ProxiedRequest) => Promise<ProxiedResponse>,
  ) => Promise<ProxiedRequest> | ProxiedRequest
  /** Answers without the backend (e.g. a DELETE that deletes nothing), or returns null to forward. */
  answer?: (req: ProxiedRequest) => ProxiedResponse | null
  /** Rewrites the backend's response. */
  response?: (
    req: ProxiedRequest,
    res: ProxiedResponse,
    backend: (req: ProxiedRequest) => Promise<ProxiedResponse>,
  ) => Promise<ProxiedResponse> | ProxiedResponse
}

export interface HarmProxy {
  origin: string
  /** Every request as forwarded to the backend (after `behaviour.request`). */
  forwarded: ProxiedRequest[]
  close(): Promise<void>
}

/**
 * A small HTTP proxy in front of a real SCIM server (the reference server) that changes one behaviour:
 * the "lying server" of the do-no-harm tests. Everything else is forwarded as it is.
 */
export async function startHarmProxy(backendOrigin: string, behaviour: ProxyBehaviour): Promise<HarmProxy> {
  const forwarded: ProxiedRequest[] = []
  const backend = async (req: ProxiedRequest): Promise<ProxiedResponse> => {
    const {
      host: _host,
      connection: _connection,
      'content-length': _length,
      'transfer-encoding': _te,
      ...headers
    } = req.headers
    const res = await request(`${backendOrigin}${req.path}`, {
      method: req.method as 'GET',
      headers,
      body: req.body === '' ? undefined : req.body,
    })
    const body = await res.body.text()
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined && !['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(k))
        out[k] = Array.isArray(v) ? v.join(', ') : v
    return { status: res.statusCode, headers: out, body }
  }
  const handle = async (incoming: IncomingMessage): Promise<ProxiedResponse> => {
    let body = ''
    for await (const chunk of incoming) body += String(chunk)
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(incoming.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v
    let req: ProxiedRequest = { method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers, body }
    const direct = behaviour.answer?.(req)
    if (direct) return direct
    if (behaviour.request) req = await behaviour.request(req, backend)
    forwarded.push(req)
    const res = await backend(req)
    return behaviour.response ? behaviour.response(req, res, backend) : res
  }
  const server: Server = createServer((incoming, outgoing) => {
    handle(incoming).then(
      (res) => outgoing.writeHead(res.status, res.headers).end(res.body),
      (error: unknown) => outgoing.writeHead(502, { 'content-type': 'text/plain' }).end(String(error)),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** The id in `/…/Users/{id}`, or null. */
export function userIdOf(path: string): string | null {
  const match = /\/Users\/([^/?]+)/.exec(path)
  return match ? decodeURIComponent(match[1]) : null
}
