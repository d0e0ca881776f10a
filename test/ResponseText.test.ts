/**
 * How the client reads a body, over every transport: the text exactly as sent (multi-byte
 * characters split across chunks), a body that a middleware read first, a body cut short (a
 * typed error that may have reached the server, retried for a read), and on the node:http
 * transports without touching the global `Response`. The server is raw node:http on loopback.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { Assistants, AssistantsClient, RetryPolicy } from "../src/index.js"
import * as NodeTransport from "../src/layers/NodeTransport.js"
import * as Fixtures from "./utils/fixtures.js"
import * as loopback from "./utils/loopback.js"

// multi-byte characters split across chunks must decode whole
const assistant = { ...Fixtures.assistant, name: "café ☕ 助手 🤖", instructions: "é".repeat(40_000) }
const body = JSON.stringify(assistant)

/**
 * A loopback server: an assistant id ending in `short` gets a body that promises more than it
 * sends; others get `body` in chunks of 1001 bytes.
 */
const server = (requests: Array<string> = []) =>
  loopback.server((seen, response) => {
    requests.push(seen.url)
    const bytes = Buffer.from(body)
    if (seen.url.endsWith("short")) {
      response.writeHead(200, { "content-type": "application/json", "content-length": bytes.length + 100 })
      response.write(bytes, () => response.socket?.destroy())
      return
    }
    response.writeHead(200, { "content-type": "application/json", "content-length": bytes.length })
    for (let i = 0; i < bytes.length; i += 1001) response.write(bytes.subarray(i, i + 1001))
    response.end()
  })

const services = (
  url: string,
  http: Layer.Layer<HttpClient.HttpClient>,
  retry: RetryPolicy.RetryPolicy = RetryPolicy.none
) =>
  Assistants.layer.pipe(
    Layer.provide(AssistantsClient.layer({ baseUrl: `${url}/v1`, apiKey: Redacted.make("sk-x"), retry })),
    Layer.provide(http)
  )

const transports = [
  ["FetchHttpClient", FetchHttpClient.layer],
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
  ["NodeHttpClient.layer (node:http)", NodeHttpClient.layer],
  ["NodeTransport", NodeTransport.layer]
] as const

describe.each(transports)("the client reading a body over %s", (_, transport) => {
  it.live("reads the text exactly as sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const { url } = yield* server()
      const got = yield* Effect.provide(Assistants.get({ assistantId: "asst_1" }), services(url, transport))
      assert.strictEqual(got.name, assistant.name)
      assert.strictEqual(got.instructions, assistant.instructions)
    })))

  it.live("reads a body a middleware has already read", () =>
    Effect.scoped(Effect.gen(function*() {
      const { url } = yield* server()
      const seen: Array<number> = []
      const reading = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, (http) =>
          HttpClient.tap(http, (response) => Effect.map(response.text, (t) => seen.push(t.length))))
      ).pipe(Layer.provide(transport))
      const got = yield* Effect.provide(Assistants.get({ assistantId: "asst_1" }), services(url, reading))
      assert.deepStrictEqual(seen, [body.length])
      assert.strictEqual(got.instructions, assistant.instructions)
    })))

  it.live("a body cut short is a ConnectionError whose outcome is unknown, and a read is retried", () =>
    Effect.scoped(Effect.gen(function*() {
      const requests: Array<string> = []
      const { url } = yield* server(requests)
      const error = yield* Effect.flip(
        Effect.provide(Assistants.get({ assistantId: "asst_short" }), services(url, transport))
      )
      assert.strictEqual(error._tag, "ConnectionError")
      assert.strictEqual(error._tag === "ConnectionError" && error.outcome, "unknown")
      assert.strictEqual(error._tag === "ConnectionError" && error.path, "/assistants/asst_short")
      requests.length = 0
      yield* Effect.flip(
        Effect.provide(
          Assistants.get({ assistantId: "asst_short" }),
          services(url, transport, RetryPolicy.exponential({ retries: 2, base: "1 millis" }))
        )
      )
      assert.deepStrictEqual(requests, Array(3).fill("/v1/assistants/asst_short"))
    })))
})

describe.each(transports.slice(2))("the client over %s", (_, transport) => {
  // the first use of that global loads Node's fetch: about 15 ms of a one-call program's start
  it.live("reads a body without touching the global Response", () =>
    Effect.scoped(Effect.gen(function*() {
      const { url } = yield* server()
      const layer = yield* Layer.build(services(url, transport))
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
      const got = yield* Effect.provide(Assistants.get({ assistantId: "asst_1" }), layer)
      assert.strictEqual(got.instructions, assistant.instructions)
      assert.strictEqual(touched, 0)
    })))
})
