/**
 * Raw node:http / node:https servers on loopback for the transport tests, and a bounded wait that
 * needs no clock.
 */
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { readFileSync } from "node:fs"
import * as Http from "node:http"
import * as Https from "node:https"
import type { AddressInfo } from "node:net"

export const tls = {
  // self-signed for localhost and 127.0.0.1, valid to 2126 (openssl req -x509 -newkey ec ...)
  key: readFileSync(new URL("tls/key.pem", import.meta.url)),
  cert: readFileSync(new URL("tls/cert.pem", import.meta.url))
}

export interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: Buffer
}

/** A loopback server whose handler sees the whole request; counts the connections it accepted. */
export const server = (
  handler: (seen: Seen, response: Http.ServerResponse) => void,
  options: { readonly secure?: boolean } = {}
) =>
  Effect.acquireRelease(
    Effect.async<
      {
        readonly url: string
        readonly connections: () => number
        readonly closed: () => number
        readonly server: Http.Server
      }
    >((resume) => {
      let connections = 0
      let closed = 0
      const listener = (request: Http.IncomingMessage, response: Http.ServerResponse) => {
        const chunks: Array<Buffer> = []
        request.on("data", (c: Buffer) => chunks.push(c))
        request.on("end", () =>
          handler(
            { method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks) },
            response
          ))
      }
      const s: Http.Server = options.secure ? Https.createServer(tls, listener) : Http.createServer(listener)
      s.on(options.secure ? "secureConnection" : "connection", (socket) => {
        connections++
        socket.on("close", () => closed++)
      })
      s.listen(0, "127.0.0.1", () => {
        const { port } = s.address() as AddressInfo
        resume(Effect.succeed({
          url: `${options.secure ? "https" : "http"}://127.0.0.1:${port}`,
          connections: () => connections,
          closed: () => closed,
          server: s
        }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

/** Waits (without a clock) until `check` holds, re-checking on each turn of the event loop; bounded. */
export const eventually = (check: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 10_000 && !check(); i++) {
      yield* Effect.async<void>((resume) => void setImmediate(() => resume(Effect.void)))
    }
    assert.isTrue(check())
  })
