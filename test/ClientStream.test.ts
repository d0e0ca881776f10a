/**
 * `AssistantsClient.stream`, the raw-response primitive streamed calls build on, over every
 * transport against a raw loopback server: the response comes back once its headers are in, with
 * its body still arriving; the timeout covers the headers only; closing the scope or interrupting
 * aborts the request; a non-2xx answer fails as its tagged error; a streamed create keeps the
 * no-duplicate rule.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import type * as Http from "node:http"
import { AssistantsClient, type AssistantsConfig, RetryPolicy } from "../src/index.js"
import * as NodeTransport from "../src/layers/NodeTransport.js"
import { eventually, type Seen, server } from "./utils/loopback.js"

const call: AssistantsClient.Call = {
  name: "Runs.createStream",
  method: "POST",
  path: "/threads/thread_1/runs",
  body: { assistant_id: "asst_1", stream: true },
  create: true
}

const transports = [
  ["FetchHttpClient", FetchHttpClient.layer],
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
  ["NodeHttpClient.layer (node:http)", NodeHttpClient.layer],
  ["NodeTransport", NodeTransport.layer]
] as const

describe.each(transports)("AssistantsClient.stream over %s", (_, transport) => {
  /** A loopback server and the client over `transport`, both alive for the test's scope. */
  const setup = (
    handler: (seen: Seen, response: Http.ServerResponse) => void,
    options: AssistantsConfig.Options = {}
  ) =>
    Effect.gen(function*() {
      const loop = yield* server(handler)
      const context = yield* Layer.build(
        AssistantsClient.layer({
          baseUrl: `${loop.url}/v1`,
          apiKey: Redacted.make("sk-stream"),
          retry: RetryPolicy.none,
          ...options
        }).pipe(Layer.provide(transport as Layer.Layer<HttpClient.HttpClient>))
      )
      return { ...loop, client: Context.get(context, AssistantsClient.AssistantsClient) }
    })

  /** Answers with the headers of an event stream and keeps the response for the test to write. */
  const opened = () =>
    Effect.gen(function*() {
      const held = yield* Deferred.make<{ readonly seen: Seen; readonly response: Http.ServerResponse }>()
      const handler = (seen: Seen, response: Http.ServerResponse) => {
        response.writeHead(200, { "content-type": "text/event-stream", "x-request-id": "req_s" })
        response.flushHeaders()
        Deferred.unsafeDone(held, Effect.succeed({ seen, response }))
      }
      return { held, handler }
    })

  it.effect("returns once the headers are in, the body unread; the timeout does not cover the body", () =>
    Effect.scoped(Effect.gen(function*() {
      const { handler, held } = yield* opened()
      const { client } = yield* setup(handler, { timeout: "1 second" })
      const response = yield* client.stream(call)
      const { response: writer, seen } = yield* Deferred.await(held)
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.headers["x-request-id"], "req_s")
      assert.strictEqual(seen.headers["accept"], "text/event-stream")
      assert.strictEqual(seen.headers["authorization"], "Bearer sk-stream")
      assert.strictEqual(seen.headers["openai-beta"], "assistants=v2")
      assert.deepStrictEqual(JSON.parse(seen.body.toString("utf8")), call.body)
      // past the timeout with the body still open: the stream goes on
      yield* TestClock.adjust("5 seconds")
      writer.write("event: thread.run.created\ndata: {}\n\n")
      writer.end("event: done\ndata: [DONE]\n\n")
      const text = yield* response.text
      assert.strictEqual(text, "event: thread.run.created\ndata: {}\n\nevent: done\ndata: [DONE]\n\n")
    })))

  it.effect("headers that do not come within the timeout: TimeoutError, and the request is aborted", () =>
    Effect.scoped(Effect.gen(function*() {
      const arrived = yield* Deferred.make<void>()
      const { client, closed, connections } = yield* setup(() => Deferred.unsafeDone(arrived, Effect.void), {
        timeout: "1 second"
      })
      const fiber = yield* Effect.fork(Effect.scoped(client.stream(call)))
      yield* Deferred.await(arrived)
      yield* TestClock.adjust("1 second")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error._tag, "TimeoutError")
      assert.strictEqual(error._tag === "TimeoutError" && error.outcome, "unknown")
      yield* eventually(() => closed() >= 1 && closed() === connections())
    })))

  it.live("closing the scope aborts a response still streaming", () =>
    Effect.scoped(Effect.gen(function*() {
      const { handler, held } = yield* opened()
      const { client, closed, connections } = yield* setup(handler)
      yield* Effect.scoped(Effect.gen(function*() {
        const response = yield* client.stream(call)
        const { response: writer } = yield* Deferred.await(held)
        writer.write("data: first\n\n")
        const first = yield* Stream.runHead(response.stream)
        assert.strictEqual(first._tag === "Some" && new TextDecoder().decode(first.value), "data: first\n\n")
        assert.strictEqual(closed(), 0)
      }))
      yield* eventually(() => closed() >= 1 && closed() === connections())
    })))

  it.live("interrupting the call while it waits for the headers aborts the request", () =>
    Effect.scoped(Effect.gen(function*() {
      const arrived = yield* Deferred.make<void>()
      const { client, closed, connections } = yield* setup(() => Deferred.unsafeDone(arrived, Effect.void))
      const fiber = yield* Effect.fork(Effect.scoped(client.stream(call)))
      yield* Deferred.await(arrived)
      yield* Fiber.interrupt(fiber)
      yield* eventually(() => closed() >= 1 && closed() === connections())
    })))

  it.live("a non-2xx answer is read whole and fails as its tagged error", () =>
    Effect.scoped(Effect.gen(function*() {
      const { client } = yield* setup((_, response) =>
        response.writeHead(404, { "content-type": "application/json", "x-request-id": "req_404" }).end(
          JSON.stringify({
            error: { message: "No thread found", type: "invalid_request_error", param: null, code: "not_found" }
          })
        )
      )
      const error = yield* Effect.flip(Effect.scoped(client.stream(call)))
      assert.strictEqual(error._tag, "NotFoundError")
      if (error._tag !== "NotFoundError") return
      assert.strictEqual(error.message, "No thread found")
      assert.strictEqual(error.requestId, "req_404")
      assert.strictEqual(error.path, "/threads/thread_1/runs")
      assert.strictEqual(error.outcome, "rejected")
    })))

  it.live("a streamed create is not retried after a 500, and is after a 429", () =>
    Effect.scoped(Effect.gen(function*() {
      const statuses: Array<number> = []
      const answer = (status: number) => (_: Seen, response: Http.ServerResponse) => {
        statuses.push(status)
        response.writeHead(status, { "content-type": "application/json" }).end("{}")
      }
      let replies = [answer(500), answer(200)]
      const { client } = yield* setup((seen, response) => replies[statuses.length](seen, response), {
        retry: Schedule.recurs(2)
      })
      const error = yield* Effect.flip(Effect.scoped(client.stream(call)))
      assert.strictEqual(error._tag, "InternalServerError")
      assert.deepStrictEqual(statuses, [500])
      statuses.length = 0
      replies = [answer(429), answer(200)]
      const response = yield* Effect.scoped(client.stream(call))
      assert.strictEqual(response.status, 200)
      assert.deepStrictEqual(statuses, [429, 200])
    })))
})
