/**
 * The client's deadline and interruption over every transport, against a server that never
 * answers: each must fail or stop in time and let go of its socket. Run as it is
 * (test/NodeTransport.test.ts) and with the client's own abort signal unavailable
 * (test/DeadlineFallback.test.ts), where `Effect.timeoutFail` takes over.
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
import { Assistants, AssistantsLive, RetryPolicy } from "../../src/index.js"
import * as NodeTransport from "../../src/layers/NodeTransport.js"
import { eventually, server } from "./loopback.js"

export const deadlineSuite = (title: string) =>
  describe.each(
    [
      ["FetchHttpClient", FetchHttpClient.layer],
      ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
      ["NodeHttpClient.layer (node:http)", NodeHttpClient.layer],
      ["NodeTransport", NodeTransport.layer]
    ] as const
  )(`${title} over %s`, (_, transport) => {
    const hanging = (
      timeout: Duration.DurationInput = "200 millis",
      http: Layer.Layer<HttpClient.HttpClient> = transport
    ) =>
      Effect.gen(function*() {
        const arrived = yield* Deferred.make<void>()
        const { closed, url } = yield* server(() => Deferred.unsafeDone(arrived, Effect.void))
        // built once for the test's scope: a transport torn down with each call would close the socket itself
        const layer = yield* Layer.build(
          AssistantsLive.layer({ baseUrl: `${url}/v1`, retry: RetryPolicy.none, timeout }).pipe(Layer.provide(http))
        )
        return { arrived, closed, layer }
      })

    // a middleware that rewrites each request hands the transport a request the client never saw
    const rewriting = Layer.effect(
      HttpClient.HttpClient,
      Effect.map(HttpClient.HttpClient, HttpClient.mapRequest(HttpClientRequest.setHeader("x-middleware", "1")))
    ).pipe(Layer.provide(transport))

    // the live clock: under a TestClock the deadline is the standard combinator, not the abort
    it.live("a call past its timeout fails with TimeoutError and its connection is closed", () =>
      Effect.scoped(Effect.gen(function*() {
        const { closed, layer } = yield* hanging()
        const error = yield* Effect.flip(Effect.provide(Assistants.list(), layer))
        assert.strictEqual(error._tag, "TimeoutError")
        assert.strictEqual(error._tag === "TimeoutError" && error.timeoutMillis, 200)
        yield* eventually(() => closed() === 1)
      })))

    it.live("a call past its timeout through a middleware that rewrites the request is aborted too", () =>
      Effect.scoped(Effect.gen(function*() {
        const { closed, layer } = yield* hanging("200 millis", rewriting)
        const error = yield* Effect.flip(Effect.provide(Assistants.list(), layer))
        assert.strictEqual(error._tag, "TimeoutError")
        yield* eventually(() => closed() === 1)
      })))

    for (
      const [name, timeout] of [["", undefined], [" with no deadline", Duration.infinity], [
        " with a deadline longer than a timer can wait",
        "30 days"
      ]] as const
    ) {
      it.live(`an interrupted call${name} closes its connection`, () =>
        Effect.scoped(Effect.gen(function*() {
          const { arrived, closed, layer } = yield* hanging(timeout)
          const fiber = yield* Effect.fork(Effect.provide(Assistants.list(), layer))
          yield* Deferred.await(arrived)
          // a deadline past a timer's reach must not become one that fires at once
          assert.isNull(fiber.unsafePoll())
          yield* Fiber.interrupt(fiber)
          yield* eventually(() => closed() === 1)
        })))
    }
  })
