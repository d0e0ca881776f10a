/**
 * How the client reads a body, over every transport: the text exactly as sent, a body that a
 * middleware read first (the platform's cached text), a body cut short (a typed error); on fetch
 * and undici straight from the transport's body, elsewhere through `text` without touching the
 * global `Response`. The server is raw node:http on loopback.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { Assistants, AssistantsClient, RetryPolicy } from "../src/index.js"
import * as RequestSignal from "../src/layers/internal/requestSignal.js"
import * as ResponseText from "../src/layers/internal/responseText.js"
import * as NodeTransport from "../src/layers/NodeTransport.js"
import * as Fixtures from "./utils/fixtures.js"
import * as loopback from "./utils/loopback.js"

// multi-byte characters split across chunks must decode whole
const assistant = { ...Fixtures.assistant, name: "café ☕ 助手 🤖", instructions: "é".repeat(40_000) }
const body = JSON.stringify(assistant)

/** A loopback server: a path ending in `/short` promises more than it sends; others get `body` in chunks. */
const server = loopback.server((seen, response) => {
  const bytes = Buffer.from(body)
  if (seen.url.endsWith("/short")) {
    response.writeHead(200, { "content-type": "application/json", "content-length": bytes.length + 100 })
    response.write(bytes, () => response.socket?.destroy())
    return
  }
  response.writeHead(200, { "content-type": "application/json", "content-length": bytes.length })
  for (let i = 0; i < bytes.length; i += 1001) response.write(bytes.subarray(i, i + 1001))
  response.end()
})

/**
 * The transport's client as the client sends through it under the live clock (with a controller
 * of its own: the response is the transport's own, not the platform's interruptible wrapper),
 * alive for the test's scope (undici's dispatcher closes with it).
 */
const client = (transport: Layer.Layer<HttpClient.HttpClient>) =>
  Effect.map(Layer.build(transport), (context) => {
    const http = Context.get(context, HttpClient.HttpClient)
    return {
      get: (url: string) => {
        const request = HttpClientRequest.get(url)
        RequestSignal.attach(request, new AbortController())
        return http.execute(request)
      }
    }
  })

const transports = [
  ["FetchHttpClient", FetchHttpClient.layer],
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
  ["NodeHttpClient.layer (node:http)", NodeHttpClient.layer],
  ["NodeTransport", NodeTransport.layer]
] as const

// the live clock: under a TestClock the client sends through the platform's plain path
describe.each(transports)("reading a body over %s", (_, transport) => {
  it.live("reads the text exactly as sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const { url } = yield* server
      const http = yield* client(transport)
      const text = yield* Effect.flatMap(http.get(`${url}/v1`), ResponseText.text)
      assert.strictEqual(text, body)
    })))

  it.live("reads a body a middleware has already read", () =>
    Effect.scoped(Effect.gen(function*() {
      const { url } = yield* server
      const seen: Array<number> = []
      const reading = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, (http) =>
          HttpClient.tap(http, (response) => Effect.map(response.text, (t) => seen.push(t.length))))
      ).pipe(Layer.provide(transport))
      const layer = Assistants.layer.pipe(
        Layer.provide(
          AssistantsClient.layer({ baseUrl: `${url}/v1`, apiKey: Redacted.make("sk-x"), retry: RetryPolicy.none })
        ),
        Layer.provide(reading)
      )
      const got = yield* Effect.provide(Assistants.get({ assistantId: "asst_1" }), layer)
      assert.deepStrictEqual(seen, [body.length])
      assert.strictEqual(got.name, assistant.name)
      assert.strictEqual(got.instructions, assistant.instructions)
    })))

  it.live("a body cut short is a ResponseError", () =>
    Effect.scoped(Effect.gen(function*() {
      const { url } = yield* server
      const http = yield* client(transport)
      const error = yield* Effect.flip(Effect.flatMap(http.get(`${url}/short`), ResponseText.text))
      assert.strictEqual(error._tag, "ResponseError")
      assert.strictEqual(error.reason, "Decode")
    })))
})

describe.each(transports.slice(0, 2))("over %s", (_, transport) => {
  it.live("reads the body itself, not through the platform's cached text", () =>
    Effect.scoped(Effect.gen(function*() {
      const { url } = yield* server
      const http = yield* client(transport)
      const response = yield* http.get(`${url}/v1`)
      Object.defineProperty(response, "text", { get: () => assert.fail("read through the platform's text") })
      assert.strictEqual(yield* ResponseText.text(response), body)
    })))
})

describe.each(transports.slice(2))("over %s", (_, transport) => {
  // the first use of that global loads Node's fetch: about 15 ms of a one-call program's start
  it.live("reads through the transport's text without touching the global Response", () =>
    Effect.scoped(Effect.gen(function*() {
      const { url } = yield* server
      const http = yield* client(transport)
      const response = yield* http.get(`${url}/v1`)
      const original = Object.getOwnPropertyDescriptor(globalThis, "Response")!
      let touched = 0
      yield* Effect.acquireRelease(
        Effect.sync(() =>
          Object.defineProperty(globalThis, "Response", {
            configurable: true,
            get: () => {
              touched++
              return original.value ?? original.get?.call(globalThis)
            }
          })
        ),
        () => Effect.sync(() => Object.defineProperty(globalThis, "Response", original))
      )
      assert.strictEqual(yield* ResponseText.text(response), body)
      assert.strictEqual(touched, 0)
    })))
})
