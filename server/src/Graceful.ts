/**
 * A clean stop for a Node HTTP server: no request that reached the server loses its response.
 *
 * Once {@link Graceful.drain} starts, the server stops accepting connections and closes the idle
 * keep-alive ones at once. Requests in flight, and any that still arrive on open connections, are
 * answered with `Connection: close`, so each connection closes after its response. Whatever is
 * still open when the timeout passes is destroyed.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { Server, ServerResponse } from "node:http"
import type { Socket } from "node:net"

/**
 * @since 0.1.0
 * @category models
 */
export interface Graceful {
  /** Stops the server as described in the module comment; succeeds once every connection closed. */
  readonly drain: (timeout: Duration.DurationInput) => Effect.Effect<Stats>
  /** Whether a drain has started. */
  readonly draining: () => boolean
}

/**
 * What a server did over its life, as counted when it stopped.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  /** Requests the server read. */
  readonly requests: number
  /** Responses written in full. */
  readonly answered: number
  /** Connections still open when the timeout passed, and destroyed. */
  readonly forced: number
}

/**
 * Tracks the connections and responses of `server`; call it before the server accepts any.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (server: Server): Graceful => {
  const sockets = new Set<Socket>()
  const inFlight = new Set<ServerResponse>()
  let draining = false
  let requests = 0
  let answered = 0
  let forced = 0
  let settled: (() => void) | undefined

  const check = () => {
    if (settled !== undefined && sockets.size === 0) settled()
  }
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.once("close", () => {
      sockets.delete(socket)
      check()
    })
  })
  // first among the request listeners: the header must be set before the response is written
  server.prependListener("request", (_request, response: ServerResponse) => {
    requests++
    inFlight.add(response)
    response.once("finish", () => answered++)
    if (draining) response.setHeader("connection", "close")
    response.once("close", () => {
      inFlight.delete(response)
      // a connection whose response went out before the drain announced the close is now idle
      if (draining) setImmediate(() => server.closeIdleConnections())
    })
  })

  const drain = (timeout: Duration.DurationInput) =>
    Effect.async<Stats>((resume) => {
      draining = true
      const timer = setTimeout(() => {
        forced = sockets.size
        for (const socket of sockets) socket.destroy()
        settled?.()
      }, Duration.toMillis(timeout))
      settled = () => {
        settled = undefined
        clearTimeout(timer)
        resume(Effect.sync(() => ({ requests, answered, forced })))
      }
      server.close()
      server.closeIdleConnections()
      for (const response of inFlight) {
        if (!response.headersSent) response.setHeader("connection", "close")
      }
      check()
    })

  return { drain, draining: () => draining }
}
