/**
 * A clean stop for a Node HTTP server: no request that reached the server loses its response.
 *
 * Once {@link Graceful.drain} starts, the server stops accepting connections and closes the idle
 * keep-alive ones at once. Requests in flight, and any that still arrive on open connections, are
 * answered with `Connection: close`, so each connection closes after its response. Whatever is
 * still open when the timeout passes is destroyed.
 *
 * With a `keepAliveGrace`, a connection that carried a request (or opened) within that time is not
 * taken for idle: it is between two requests of a busy client, whose next request may already be on
 * the wire, and closing it would reset that request unanswered. It gets that long to send it; the
 * request is then answered with `Connection: close`, and the client's next attempt is refused
 * cleanly, before anything was sent.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { Server as NetServer, type Socket } from "node:net"

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

interface Connection {
  /** Requests read and not yet answered (more than one when pipelined). */
  active: number
  /** When its last response ended, or else when it opened. */
  last: number
}

/**
 * Tracks the connections and responses of `server`; call it before the server accepts any.
 * `keepAliveGrace` (default none): how recently a connection must have carried a request to be
 * given that long for its next one.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (server: Server, options: { readonly keepAliveGrace?: Duration.DurationInput } = {}): Graceful => {
  const recentMillis = options.keepAliveGrace === undefined ? 0 : Duration.toMillis(options.keepAliveGrace)
  const connections = new Map<Socket, Connection>()
  const inFlight = new Set<ServerResponse>()
  let draining = false
  let requests = 0
  let answered = 0
  let forced = 0
  let settled: (() => void) | undefined

  const check = () => {
    if (settled !== undefined && connections.size === 0) settled()
  }
  /** Closes `socket` if nothing is in flight on it and it has been quiet long enough. */
  const closeIfIdle = (socket: Socket) => {
    const state = connections.get(socket)
    if (state === undefined || state.active > 0) return
    const quiet = performance.now() - state.last
    if (quiet >= recentMillis) socket.destroy()
    else setTimeout(() => closeIfIdle(socket), recentMillis - quiet).unref()
  }

  server.on("connection", (socket: Socket) => {
    // a connection just opened counts as recent: its first request may be on the wire
    connections.set(socket, { active: 0, last: performance.now() })
    socket.once("close", () => {
      connections.delete(socket)
      check()
    })
  })
  // first among the request listeners: the header must be set before the response is written
  server.prependListener("request", (request: IncomingMessage, response: ServerResponse) => {
    requests++
    inFlight.add(response)
    const state = connections.get(request.socket)
    if (state) state.active++
    if (draining) response.setHeader("connection", "close")
    response.once("finish", () => answered++)
    response.once("close", () => {
      inFlight.delete(response)
      if (state) {
        state.active--
        state.last = performance.now()
      }
      // a response that went out before the drain announced the close leaves its connection open
      if (draining) closeIfIdle(request.socket)
    })
  })

  const drain = (timeout: Duration.DurationInput) =>
    Effect.async<Stats>((resume) => {
      draining = true
      const timer = setTimeout(() => {
        forced = connections.size
        for (const socket of connections.keys()) socket.destroy()
        settled?.()
      }, Duration.toMillis(timeout))
      settled = () => {
        settled = undefined
        clearTimeout(timer)
        resume(Effect.sync(() => ({ requests, answered, forced })))
      }
      // net's close stops accepting; http's would also close every idle connection at once,
      // the busy clients' included
      NetServer.prototype.close.call(server)
      for (const response of inFlight) {
        if (!response.headersSent) response.setHeader("connection", "close")
      }
      for (const socket of connections.keys()) closeIfIdle(socket)
      check()
    })

  return { drain, draining: () => draining }
}
