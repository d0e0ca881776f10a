/**
 * The client's deadline and interruption over every transport, against a server that never
 * answers: each must fail or stop in time and let go of its socket. Run under the live clock
 * (test/NodeTransport.test.ts) and under a `TestClock` (test/Deadline.test.ts): the client takes
 * the same path under both.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import { Assistants, AssistantsLive, RetryPolicy } from "../../src/index.js"
import * as NodeTransport from "../../src/layers/NodeTransport.js"
import { eventually, server } from "./loopback.js"

export const deadlineSuite = (title: string, clock: "live" | "test" = "live") =>
  describe.each(
    [
      ["FetchHttpClient", FetchHttpClient.layer],
      ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
      ["NodeHttpClient.layer (node:http)", NodeHttpClient.layer],
      ["NodeTransport", NodeTransport.layer]
    ] as const
  )(`${title} over %s`, (_, transport) => {
    const test = clock === "live" ? it.live : it.effect
    /** Lets `duration` pass: under the live clock it passes by itself. */
    const pass = (duration: Duration.DurationInput) => clock === "live" ? Effect.void : TestClock.adjust(duration)

    const hanging = (
      timeout: Duration.DurationInput = "200 millis",
      http: Layer.Layer<HttpClient.HttpClient> = transport
    ) =>
      Effect.gen(function*() {
        const arrived = yield* Deferred.make<void>()
        const { closed, connections, url } = yield* server(() => Deferred.unsafeDone(arrived, Effect.void))
        // built once for the test's scope: a transport torn down with each call would close the socket itself.
        // undici may open a second connection beside the aborted one: every one must be closed
        const layer = yield* Layer.build(
          AssistantsLive.layer({ baseUrl: `${url}/v1`, retry: RetryPolicy.none, timeout }).pipe(Layer.provide(http))
        )
        return { arrived, closed, connections, layer }
      })

    /** A server that answers at once, and the client over `transport` with a 200 ms timeout. */
    const answering = () =>
      Effect.gen(function*() {
        const { url } = yield* server((_, response) =>
          response.writeHead(200, { "content-type": "application/json" }).end(
            JSON.stringify({ object: "list", data: [], first_id: null, last_id: null, has_more: false })
          )
        )
        const layer = yield* Layer.build(
          AssistantsLive.layer({ baseUrl: `${url}/v1`, retry: RetryPolicy.none, timeout: "200 millis" }).pipe(
            Layer.provide(transport)
          )
        )
        return { layer }
      })

    // a middleware that rewrites each request hands the transport a request the client never saw
    const rewriting = Layer.effect(
      HttpClient.HttpClient,
      Effect.map(HttpClient.HttpClient, HttpClient.mapRequest(HttpClientRequest.setHeader("x-middleware", "1")))
    ).pipe(Layer.provide(transport))

    test("a call within its timeout succeeds", () =>
      Effect.scoped(Effect.gen(function*() {
        const { layer } = yield* answering()
        const page = yield* Effect.provide(Assistants.list(), layer)
        assert.deepStrictEqual(page.data, [])
      })))

    test("a call past its timeout fails with TimeoutError and its connection is closed", () =>
      Effect.scoped(Effect.gen(function*() {
        const { arrived, closed, connections, layer } = yield* hanging()
        const fiber = yield* Effect.fork(Effect.flip(Effect.provide(Assistants.list(), layer)))
        yield* Deferred.await(arrived)
        yield* pass("200 millis")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "TimeoutError")
        assert.strictEqual(error._tag === "TimeoutError" && error.timeoutMillis, 200)
        yield* eventually(() => closed() >= 1 && closed() === connections())
      })))

    test("a call past its timeout through a middleware that rewrites the request is aborted too", () =>
      Effect.scoped(Effect.gen(function*() {
        const { arrived, closed, connections, layer } = yield* hanging("200 millis", rewriting)
        const fiber = yield* Effect.fork(Effect.flip(Effect.provide(Assistants.list(), layer)))
        yield* Deferred.await(arrived)
        yield* pass("200 millis")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(error._tag, "TimeoutError")
        yield* eventually(() => closed() >= 1 && closed() === connections())
      })))

    for (
      const [name, timeout] of [["", undefined], [" with no deadline", Duration.infinity], [
        " with a deadline longer than a timer can wait",
        "30 days"
      ]] as const
    ) {
      test(`an interrupted call${name} closes its connection`, () =>
        Effect.scoped(Effect.gen(function*() {
          const { arrived, closed, connections, layer } = yield* hanging(timeout)
          const fiber = yield* Effect.fork(Effect.provide(Assistants.list(), layer))
          yield* Deferred.await(arrived)
          // a deadline past a timer's reach must not become one that fires at once
          assert.isNull(fiber.unsafePoll())
          yield* Fiber.interrupt(fiber)
          yield* eventually(() => closed() >= 1 && closed() === connections())
        })))
    }
  })
