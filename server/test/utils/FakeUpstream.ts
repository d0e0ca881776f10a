/**
 * A loopback fake of a model upstream (Chat Completions, Responses or Anthropic's Messages): each request is answered
 * by the next scripted reply; every request body and every reply is checked against the vendored
 * upstream contract, and violations are collected for the test to assert on. It records each
 * request and when its connection closed.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as UpstreamContract from "./UpstreamContract.js"

/** One scripted answer. */
export type Reply =
  | {
    readonly _tag: "json"
    readonly status?: number
    readonly body: unknown
    readonly headers?: Record<string, string>
  }
  /**
   * Server-sent events: each entry's `data` (an object is JSON-encoded); `delay` ms before it;
   * `until`, a latch the event waits for (the test opens it once it saw what came before).
   */
  | {
    readonly _tag: "sse"
    readonly events: ReadonlyArray<{
      readonly event?: string
      readonly data: unknown
      readonly delay?: number
      readonly until?: Deferred.Deferred<void>
    }>
    /** Destroy the socket after the events instead of ending the body. */
    readonly cut?: boolean
    /** Keep the body open after the events until the client goes away. */
    readonly hang?: boolean
  }

export interface Recorded {
  readonly path: string
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: any
  /** Completes when the request's connection closes, however it closes. */
  readonly closed: Deferred.Deferred<void>
  /** Completes when the first event of an SSE reply was written. */
  readonly streaming: Deferred.Deferred<void>
}

export interface Fake {
  readonly url: string
  readonly requests: Array<Recorded>
  readonly violations: Array<string>
  /** Queues replies, answered in order; the last one repeats. */
  readonly script: (...replies: ReadonlyArray<Reply>) => void
}

const schemas = {
  chat: {
    request: "CreateChatCompletionRequest",
    response: "CreateChatCompletionResponse",
    event: "CreateChatCompletionStreamResponse"
  },
  responses: { request: "CreateResponse", response: "Response", event: "ResponseStreamEvent" },
  anthropic: {
    request: "BetaCreateMessageParams",
    response: "BetaMessage",
    error: "BetaErrorResponse",
    event: "MessageStreamEvent"
  }
} as const

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts the fake on a free loopback port for the scope's life. */
export const make = (contract: "chat" | "responses" | "anthropic"): Effect.Effect<Fake, never, Scope.Scope> =>
  Effect.gen(function*() {
    const requests: Array<Recorded> = []
    const violations: Array<string> = []
    let replies: Array<Reply> = []
    const check = (name: string, value: unknown) => {
      const violation = UpstreamContract.check(contract, name, value)
      if (violation !== undefined) violations.push(violation)
    }
    const answer = async (reply: Reply, res: ServerResponse, recorded: Recorded) => {
      if (reply._tag === "json") {
        const status = reply.status ?? 200
        check(
          status < 300
            ? schemas[contract].response
            : contract === "anthropic"
            ? schemas.anthropic.error
            : "ErrorResponse",
          reply.body
        )
        res.writeHead(status, { "content-type": "application/json", ...reply.headers })
        res.end(JSON.stringify(reply.body))
        return
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
      let first = true
      for (const e of reply.events) {
        if (e.delay) await sleep(e.delay)
        if (e.until) await Effect.runPromise(Deferred.await(e.until))
        if (res.destroyed) return
        if (typeof e.data === "object") check(schemas[contract].event, e.data)
        const data = typeof e.data === "string" ? e.data : JSON.stringify(e.data)
        res.write(`${e.event ? `event: ${e.event}\n` : ""}data: ${data}\n\n`)
        if (first) {
          first = false
          Deferred.unsafeDone(recorded.streaming, Effect.void)
        }
      }
      if (reply.cut) {
        // destroying drops unflushed writes: let what was written reach the client first
        await sleep(20)
        res.socket?.destroy()
      } else if (!reply.hang) res.end()
    }
    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        let body: any
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
        } catch {
          body = undefined
        }
        check(schemas[contract].request, body)
        const recorded: Recorded = {
          path: req.url ?? "",
          headers: req.headers,
          body,
          closed: Deferred.unsafeMake(Effect.runSync(Effect.fiberId)),
          streaming: Deferred.unsafeMake(Effect.runSync(Effect.fiberId))
        }
        res.on("close", () => Deferred.unsafeDone(recorded.closed, Effect.void))
        requests.push(recorded)
        const reply = replies.length > 1 ? replies.shift()! : replies[0]
        if (reply === undefined) {
          res.writeHead(500).end("no scripted reply")
          return
        }
        void answer(reply, res, recorded)
      })
    })
    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.void))
      }),
      () =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const port = (server.address() as AddressInfo).port
    return {
      url: `http://127.0.0.1:${port}/v1`,
      requests,
      violations,
      script: (...next) => {
        replies = [...next]
      }
    }
  })
