/**
 * A scripted `HttpClient` for unit tests: records every request that reaches the transport and
 * answers from a handler, without any socket.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

export interface Recorded {
  readonly method: string
  readonly url: URL
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
}

export type Reply =
  | {
    readonly status?: number
    readonly body?: unknown
    readonly text?: string
    readonly headers?: Record<string, string>
  }
  | { readonly fail: "refused" | "reset" }

const decoder = new TextDecoder()

export const make = (
  handler: (request: Recorded, index: number) => Reply | Effect.Effect<Reply>
) => {
  const requests: Array<Recorded> = []
  const client = HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const body = request.body._tag === "Uint8Array" ? JSON.parse(decoder.decode(request.body.body)) : undefined
      const recorded: Recorded = {
        method: request.method,
        url,
        path: url.pathname,
        headers: request.headers,
        body
      }
      requests.push(recorded)
      const result = handler(recorded, requests.length - 1)
      const reply = Effect.isEffect(result) ? yield* result : result
      if ("fail" in reply) {
        return yield* Effect.fail(
          new HttpClientError.RequestError({
            request,
            reason: "Transport",
            cause: Object.assign(new Error(reply.fail === "refused" ? "connect ECONNREFUSED" : "socket hang up"), {
              code: reply.fail === "refused" ? "ECONNREFUSED" : "ECONNRESET"
            })
          })
        )
      }
      const text = reply.text ?? (reply.body === undefined ? "" : JSON.stringify(reply.body))
      const response = HttpClientResponse.fromWeb(
        request,
        new Response(text, {
          status: reply.status ?? 200,
          headers: { "content-type": "application/json", "x-request-id": `req_${requests.length}`, ...reply.headers }
        })
      )
      // The body is already in hand: reading it synchronously keeps tests under TestClock free
      // of promise timing (a web Response's text() resolves on the real event loop).
      Object.defineProperty(response, "text", { get: () => Effect.succeed(text) })
      return response
    })
  )
  return { requests, layer: Layer.succeed(HttpClient.HttpClient, client) }
}
