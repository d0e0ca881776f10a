import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import {
  AssistantsClient,
  AssistantsError,
  AssistantsLive,
  Messages,
  RetryPolicy,
  Runs,
  Threads
} from "../src/index.js"
import type { AssistantsConfig } from "../src/index.js"
import * as fx from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

const setup = (
  replies: ReadonlyArray<MockHttp.Reply>,
  options: AssistantsConfig.Options = {}
) => {
  const mock = MockHttp.make((_, i) => replies[Math.min(i, replies.length - 1)])
  const layer = AssistantsLive.layer({ baseUrl: "http://api.test/v1", ...options }).pipe(Layer.provide(mock.layer))
  return { mock, layer }
}

const ok = { body: fx.thread }
const status = (s: number, headers?: Record<string, string>): MockHttp.Reply => ({
  status: s,
  body: { error: { message: `status ${s}`, type: "server_error", param: null, code: null } },
  ...(headers ? { headers } : {})
})

/**
 * A transport whose requests for which `hangs(index)` holds never answer: such a request ends only
 * when its signal aborts, as a real transport's does (a `RequestError`); the others get a thread.
 */
const hanging = (hangs: (index: number) => boolean) => {
  const mock = { requests: 0, aborted: [] as Array<number>, headers: [] as Array<Record<string, string>> }
  const client = HttpClient.make((request, _url, signal) => {
    const index = mock.requests++
    mock.headers.push(request.headers)
    if (!hangs(index)) {
      const response = HttpClientResponse.fromWeb(request, new Response(JSON.stringify(fx.thread)))
      // read synchronously: a web Response's text() resolves on the real event loop
      return Effect.succeed(
        Object.defineProperty(response, "text", { get: () => Effect.succeed(JSON.stringify(fx.thread)) })
      )
    }
    return Effect.async<never, HttpClientError.RequestError>((resume) => {
      signal.addEventListener("abort", () => {
        mock.aborted.push(index)
        resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: signal.reason })))
      })
    })
  })
  return Object.assign(mock, { layer: Layer.succeed(HttpClient.HttpClient, client) })
}

/** Lets forked fibers run until they block on the clock. */
const settle = Effect.repeatN(Effect.yieldNow(), 5)

/** Advances the test clock, then reports the request count. */
const countAt = (mock: { requests: ReadonlyArray<unknown> }, millis: number) =>
  Effect.gen(function*() {
    yield* TestClock.adjust(Duration.millis(millis))
    yield* settle
    return mock.requests.length
  })

describe("default retry policy", () => {
  it.effect("retries a 500 twice with 0.5 s then 1 s backoff (jitter down to 75 %)", () => {
    const { layer, mock } = setup([status(500), status(500), status(500), ok])
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Threads.get({ threadId: "thread_1" }))
      yield* settle
      assert.strictEqual(mock.requests.length, 1)
      // attempt 2 comes after 375..500 ms, attempt 3 after a further 750..1000 ms
      assert.strictEqual(yield* countAt(mock, 374), 1)
      assert.strictEqual(yield* countAt(mock, 126), 2) // t = 500 ms
      assert.strictEqual(yield* countAt(mock, 624), 2) // t = 1124 ms: not before 375 + 750
      assert.strictEqual(yield* countAt(mock, 376), 3) // t = 1500 ms: by 500 + 1000
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error._tag, "InternalServerError")
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(mock.requests.length, 3)
    }).pipe(Effect.provide(layer))
  })

  it.effect("backoff is capped at 8 s", () => {
    const { layer, mock } = setup([status(503)], { retry: RetryPolicy.exponential({ retries: 6 }) })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.flip(Threads.get({ threadId: "thread_1" })))
      yield* Effect.yieldNow()
      // 0.5 + 1 + 2 + 4 + 8 + 8 = 23.5 s at most for 6 retries
      yield* TestClock.adjust("23500 millis")
      yield* Fiber.join(fiber)
      assert.strictEqual(mock.requests.length, 7)
    }).pipe(Effect.provide(layer))
  })

  it.effect("honours retry-after-ms", () => {
    const { layer, mock } = setup([status(429, { "retry-after-ms": "3000" }), ok])
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Threads.get({ threadId: "thread_1" }))
      yield* settle
      assert.strictEqual(yield* countAt(mock, 2999), 1)
      assert.strictEqual(yield* countAt(mock, 1), 2)
      const thread = yield* Fiber.join(fiber)
      assert.strictEqual(thread.id, "thread_abc123")
    }).pipe(Effect.provide(layer))
  })

  it.effect("honours retry-after in seconds and as an HTTP date", () => {
    const { layer, mock } = setup([
      status(503, { "retry-after": "5" }),
      status(503, { "retry-after": new Date(Date.now() + 20_000).toUTCString() }),
      ok
    ], { retry: RetryPolicy.exponential({ retries: 3 }) })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Threads.get({ threadId: "thread_1" }))
      yield* settle
      assert.strictEqual(yield* countAt(mock, 4999), 1)
      assert.strictEqual(yield* countAt(mock, 1), 2)
      // an HTTP date has one-second resolution: between 19 and 20 s from now
      assert.strictEqual(yield* countAt(mock, 18_000), 2)
      assert.strictEqual(yield* countAt(mock, 2_000), 3)
      yield* Fiber.join(fiber)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a retry-after above the cap is reported, not slept", () => {
    const { layer, mock } = setup([status(429, { "retry-after": "120" }), ok])
    return Effect.gen(function*() {
      const error = yield* Effect.flip(Threads.get({ threadId: "thread_1" }))
      assert.strictEqual(error._tag, "RateLimitError")
      if (error._tag === "RateLimitError") assert.strictEqual(error.retryAfterMillis, 120_000)
      assert.strictEqual(mock.requests.length, 1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("the cap is configurable", () => {
    const { layer, mock } = setup([status(429, { "retry-after": "120" }), ok], { maxRetryAfter: "5 minutes" })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Threads.get({ threadId: "thread_1" }))
      yield* TestClock.adjust("120 seconds")
      yield* Fiber.join(fiber)
      assert.strictEqual(mock.requests.length, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("x-should-retry: false stops a retry; true forces one on a 400", () => {
    const { layer, mock } = setup([
      status(500, { "x-should-retry": "false" }),
      status(400, { "x-should-retry": "true" }),
      ok
    ])
    return Effect.gen(function*() {
      const error = yield* Effect.flip(Threads.get({ threadId: "thread_1" }))
      assert.strictEqual(error._tag, "InternalServerError")
      assert.strictEqual(mock.requests.length, 1)
      const fiber = yield* Effect.fork(Threads.get({ threadId: "thread_1" }))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual(mock.requests.length, 3)
    }).pipe(Effect.provide(layer))
  })

  it.effect("retries 408, 409, 429 and connection errors; not 400, 404, 422", () => {
    const retried = [status(408), status(409), status(429), { fail: "reset" as const }]
    const notRetried = [status(400), status(404), status(422)]
    return Effect.gen(function*() {
      for (const reply of retried) {
        const { layer, mock } = setup([reply, ok])
        const fiber = yield* Effect.fork(Threads.get({ threadId: "thread_1" }).pipe(Effect.provide(layer)))
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(fiber)
        assert.strictEqual(mock.requests.length, 2)
      }
      for (const reply of notRetried) {
        const { layer, mock } = setup([reply, ok])
        yield* Effect.flip(Threads.get({ threadId: "thread_1" }).pipe(Effect.provide(layer)))
        assert.strictEqual(mock.requests.length, 1)
      }
    })
  })

  it.effect("a per-attempt timeout becomes TimeoutError, aborts the attempt, and is retried for reads", () => {
    const mock = hanging((i) => i === 0)
    const layer = AssistantsLive.layer({ baseUrl: "http://api.test/v1", timeout: "2 seconds" }).pipe(
      Layer.provide(mock.layer)
    )
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Threads.get({ threadId: "thread_1" }))
      yield* TestClock.adjust("1999 millis")
      assert.deepStrictEqual(mock.aborted, [])
      yield* TestClock.adjust("1 millis")
      yield* TestClock.adjust("1 second")
      const thread = yield* Fiber.join(fiber)
      assert.strictEqual(thread.id, "thread_abc123")
      assert.strictEqual(mock.requests, 2)
      assert.deepStrictEqual(mock.aborted, [0])
    }).pipe(Effect.provide(layer))
  })
})

describe("no duplicate creates", () => {
  const creates: ReadonlyArray<
    readonly [string, Effect.Effect<unknown, AssistantsError.AssistantsError, AssistantsLive.Services>]
  > = [
    ["Runs.create", Runs.create({ threadId: "thread_1", assistantId: "asst_1" })],
    ["Threads.create", Threads.create()],
    ["Messages.create", Messages.create({ threadId: "thread_1", role: "user", content: "hi" })],
    ["Threads.createAndRun", Threads.createAndRun({ assistantId: "asst_1" })],
    ["Runs.submitToolOutputs", Runs.submitToolOutputs({ threadId: "thread_1", runId: "run_1", toolOutputs: [] })]
  ]

  for (const [name, call] of creates) {
    it.effect(`${name}: not retried after a 500, a lost connection or a timeout; outcome unknown`, () =>
      Effect.gen(function*() {
        for (const reply of [status(500), status(502, { "x-should-retry": "true" }), { fail: "reset" as const }]) {
          const { layer, mock } = setup([reply, ok])
          const error = yield* Effect.flip(call.pipe(Effect.provide(layer)))
          assert.strictEqual(mock.requests.length, 1, `${name} after ${JSON.stringify(reply)}`)
          assert.strictEqual((error as { outcome?: string }).outcome, "unknown")
        }
      }))

    it.effect(`${name}: retried when the server cannot have acted (429, 409, 503 with retry-after, refused)`, () =>
      Effect.gen(function*() {
        for (
          const reply of [status(429), status(409), status(503, { "retry-after": "1" }), { fail: "refused" as const }]
        ) {
          const { layer, mock } = setup([reply, {
            body: name.startsWith("Threads.create") && name !== "Threads.createAndRun"
              ? fx.thread
              : name === "Messages.create"
              ? fx.message
              : fx.run
          }])
          const fiber = yield* Effect.fork(call.pipe(Effect.provide(layer)))
          yield* TestClock.adjust("2 seconds")
          yield* Fiber.join(fiber)
          assert.strictEqual(mock.requests.length, 2, `${name} after ${JSON.stringify(reply)}`)
        }
      }))
  }

  it.effect("retryCreates opts in", () => {
    const { layer, mock } = setup([status(500), { body: fx.run }], { retryCreates: true })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Runs.create({ threadId: "thread_1", assistantId: "asst_1" }))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual(mock.requests.length, 2)
    }).pipe(Effect.provide(layer))
  })
})

describe("per-effect overrides", () => {
  it.effect("withRetry replaces the policy for one effect", () => {
    const { layer, mock } = setup([status(500)])
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Effect.flip(Threads.get({ threadId: "thread_1" })).pipe(
          AssistantsClient.withRetry(Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(5))))
        )
      )
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(fiber)
      assert.strictEqual(mock.requests.length, 6)
      yield* Effect.flip(AssistantsClient.withRetry(Threads.get({ threadId: "thread_1" }), RetryPolicy.none))
      assert.strictEqual(mock.requests.length, 7)
    }).pipe(Effect.provide(layer))
  })

  it.effect("withTimeout and withHeaders", () => {
    const mock = hanging(() => true)
    const layer = AssistantsLive.layer({
      baseUrl: "http://api.test/v1",
      retry: RetryPolicy.none,
      headers: { "x-a": "1" }
    })
      .pipe(Layer.provide(mock.layer))
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Threads.get({ threadId: "thread_1" }).pipe(
          AssistantsClient.withTimeout("1 second"),
          AssistantsClient.withHeaders({ "x-b": "2" }),
          Effect.flip
        )
      )
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "TimeoutError")
      assert.strictEqual(error._tag === "TimeoutError" && error.timeoutMillis, 1000)
      assert.strictEqual(mock.headers[0]["x-a"], "1")
      assert.strictEqual(mock.headers[0]["x-b"], "2")
    }).pipe(Effect.provide(layer))
  })
})

describe("parseRetryAfter", () => {
  it("reads ms, seconds and dates", () => {
    const now = Date.parse("2026-11-22T00:00:00Z")
    assert.strictEqual(RetryPolicy.parseRetryAfter({ "retry-after-ms": "250" }, now), 250)
    assert.strictEqual(RetryPolicy.parseRetryAfter({ "retry-after": "2" }, now), 2000)
    assert.strictEqual(RetryPolicy.parseRetryAfter({ "retry-after": "Sun, 22 Nov 2026 00:00:10 GMT" }, now), 10_000)
    assert.strictEqual(RetryPolicy.parseRetryAfter({ "retry-after": "soon" }, now), undefined)
    assert.strictEqual(RetryPolicy.parseRetryAfter({}, now), undefined)
  })
})
