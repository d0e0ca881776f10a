/**
 * The providers' shared upstream rules: the retry schedule (retry-after honoured and capped,
 * exponential otherwise, only retryable failures, a bounded number of attempts) under the
 * TestClock, model renaming, the upstream's message taken from its error body, and the events
 * of an upstream's stream however its body is cut.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as Upstream from "../src/models/Upstream.js"

/** Attempts of an always-failing effect under the policy: the clock time of each, and the exit. */
const attempts = (error: Upstream.UpstreamError, options: Partial<Upstream.Options>, advance: Duration.DurationInput) =>
  Effect.gen(function*() {
    const times: Array<number> = []
    const attempt: Effect.Effect<never, Upstream.UpstreamError> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      times.push(now)
      return Effect.fail(error)
    })
    const policy = Upstream.retryPolicy({ baseUrl: "http://127.0.0.1:1", ...options })
    const fiber = yield* Effect.fork(Effect.retry(attempt, policy))
    // step through the clock one second at a time so each sleep wakes in turn
    for (let i = 0; i < Duration.toSeconds(advance); i++) yield* TestClock.adjust("1 second")
    return { times, exit: yield* Fiber.await(fiber) }
  })

const limited = (retryAfter?: Duration.Duration) =>
  new Upstream.UpstreamError({ code: "rate_limit_exceeded", message: "slow down", retryable: true, retryAfter })

describe("Upstream", () => {
  it.effect("a retry-after is waited out before each retry, then the error is the run's", () =>
    Effect.gen(function*() {
      const { exit, times } = yield* attempts(limited(Duration.seconds(5)), { retries: 2 }, "20 seconds")
      assert.deepStrictEqual(times, [0, 5000, 10000])
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        assert.deepStrictEqual(Upstream.toOutput(Option.getOrThrow(Cause.failureOption(exit.cause))), {
          _tag: "Fail",
          code: "rate_limit_exceeded",
          message: "slow down"
        })
      }
    }))

  it.effect("a retry-after beyond the cap waits the cap", () =>
    Effect.gen(function*() {
      const { times } = yield* attempts(
        limited(Duration.hours(1)),
        { retries: 1, maxRetryAfter: "3 seconds" },
        "10 seconds"
      )
      assert.deepStrictEqual(times, [0, 3000])
    }))

  it.effect("without retry-after the delays double from retryBase", () =>
    Effect.gen(function*() {
      const { times } = yield* attempts(limited(), { retries: 3, retryBase: "1 second" }, "20 seconds")
      assert.deepStrictEqual(times, [0, 1000, 3000, 7000])
    }))

  it.effect("a failure that is not retryable (a 400) is tried once", () =>
    Effect.gen(function*() {
      const { times } = yield* attempts(
        new Upstream.UpstreamError({ code: "invalid_prompt", message: "bad", retryable: false }),
        { retries: 5 },
        "5 seconds"
      )
      assert.deepStrictEqual(times, [0])
    }))

  it("--model-map pairs and the name sent upstream", () => {
    assert.deepStrictEqual(Upstream.parseModelMap(["gpt-4o=llama3.2", "a=b=c"]), { "gpt-4o": "llama3.2", a: "b=c" })
    assert.isUndefined(Upstream.parseModelMap(["nothing"]))
    assert.isUndefined(Upstream.parseModelMap(["=x"]))
    assert.strictEqual(Upstream.modelName({ baseUrl: "", modelMap: { a: "b" } }, "a"), "b")
    assert.strictEqual(Upstream.modelName({ baseUrl: "" }, "a"), "a")
  })

  it("the upstream's message: error.message of its envelope, else its text, else the status", () => {
    assert.strictEqual(Upstream.messageOf(500, "{\"error\":{\"message\":\"boom\"}}"), "boom")
    assert.strictEqual(Upstream.messageOf(502, "Bad Gateway"), "Bad Gateway")
    assert.strictEqual(Upstream.messageOf(503, ""), "The model upstream answered with status 503.")
  })
})

describe("Upstream.sseData", () => {
  const body = "event: x\r\ndata: {\"a\":1}\r\n\r\n: a comment\n\ndata: one\ndata:two\n\ndata: é\r\rdata: [DONE]\n\n"
  const dataOf = (pieces: ReadonlyArray<Uint8Array>) =>
    Stream.runCollect(Upstream.sseData(HttpClientResponse.fromWeb(
      HttpClientRequest.post("http://127.0.0.1:1/v1/chat/completions"),
      new Response(
        new ReadableStream({
          start: (controller) => {
            for (const piece of pieces) controller.enqueue(piece)
            controller.close()
          }
        }),
        { headers: { "content-type": "text/event-stream" } }
      )
    ))).pipe(Effect.map((chunk) => Array.from(chunk)))

  it.effect("each event's data, however the body is cut: through a CRLF, a lone CR, a character's bytes", () =>
    Effect.gen(function*() {
      const bytes = new TextEncoder().encode(body)
      const expected = ["{\"a\":1}", "one\ntwo", "é", "[DONE]"]
      assert.deepStrictEqual(yield* dataOf([bytes]), expected)
      // every cut of the body in two, then byte by byte
      for (let at = 1; at < bytes.length; at++) {
        assert.deepStrictEqual(yield* dataOf([bytes.slice(0, at), bytes.slice(at)]), expected, `cut at ${at}`)
      }
      assert.deepStrictEqual(yield* dataOf(Array.from(bytes, (b) => Uint8Array.of(b))), expected)
    }))
})
