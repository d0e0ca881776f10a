import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Tracer from "effect/Tracer"
import { AssistantsLive, RetryPolicy, Runs, Threads } from "../src/index.js"
import * as fx from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"
import { recordingTracer } from "./utils/tracing.js"

const secret = "sk-SPAN-SECRET-0123456789"

describe("spans", () => {
  it.live("one span per API call, named after it, around every attempt; no platform span; the key in no attribute", () =>
    Effect.gen(function*() {
      const { spans, tracer } = yield* recordingTracer
      const mock = MockHttp.make((_, i) => (i === 0 ? { status: 500, body: {} } : { body: fx.thread }))
      const layer = AssistantsLive.layer({
        apiKey: Redacted.make(secret),
        authHeader: "api-key",
        baseUrl: "http://api.test/v1",
        retry: RetryPolicy.exponential({ base: "1 millis" })
      }).pipe(Layer.provide(mock.layer))
      yield* Threads.get({ threadId: "thread_1" }).pipe(Effect.provide(layer), Effect.withTracer(tracer))
      assert.strictEqual(mock.requests.length, 2)
      assert.deepStrictEqual(spans.map((s) => s.name), ["Threads.get"])
      const span = spans[0] as Tracer.Span & { attributes: Map<string, unknown> }
      assert.strictEqual(span.kind, "client")
      assert.strictEqual(span.attributes.get("http.request.method"), "GET")
      assert.strictEqual(span.attributes.get("url.template"), "/threads/{thread_id}")
      for (const value of span.attributes.values()) assert.notInclude(String(value), secret)
    }))
})

describe("layerConfig", () => {
  it.effect("reads OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID", () => {
    const mock = MockHttp.make(() => ({ body: fx.run }))
    const provider = ConfigProvider.fromMap(
      new Map([
        ["OPENAI_API_KEY", "sk-from-env"],
        ["OPENAI_BASE_URL", "http://env.test/v9"],
        ["OPENAI_ORG_ID", "org_env"],
        ["OPENAI_PROJECT_ID", "proj_env"]
      ])
    )
    return Effect.gen(function*() {
      yield* Runs.get({ threadId: "thread_1", runId: "run_1" })
      const [request] = mock.requests
      assert.strictEqual(request.url.toString(), "http://env.test/v9/threads/thread_1/runs/run_1")
      assert.strictEqual(request.headers["authorization"], "Bearer sk-from-env")
      assert.strictEqual(request.headers["openai-organization"], "org_env")
      assert.strictEqual(request.headers["openai-project"], "proj_env")
    }).pipe(
      Effect.provide(AssistantsLive.layerConfig().pipe(Layer.provide(mock.layer))),
      Effect.withConfigProvider(provider)
    )
  })

  it.effect("every variable is optional; overrides win", () => {
    const mock = MockHttp.make(() => ({ body: fx.thread }))
    return Effect.gen(function*() {
      yield* Threads.get({ threadId: "thread_1" })
      assert.strictEqual(mock.requests[0].url.origin, "http://override.test")
      assert.strictEqual(mock.requests[0].headers["authorization"], undefined)
      assert.isTrue(Option.isNone(Option.fromNullable(mock.requests[0].headers["openai-project"])))
    }).pipe(
      Effect.provide(
        AssistantsLive.layerConfig({ baseUrl: "http://override.test/v1" }).pipe(Layer.provide(mock.layer))
      ),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
    )
  })
})
