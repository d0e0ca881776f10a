/**
 * The per-attempt deadline: the suite of test/utils/deadlines.ts under a `TestClock` (the same
 * path as under the live clock, test/NodeTransport.test.ts), calls of several timeouts at once,
 * a fresh deadline for each attempt, and no timer left behind once the calls are done.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { AssistantsClient, type AssistantsError, AssistantsLive, RetryPolicy, Threads } from "../src/index.js"
import * as Deadline from "../src/layers/internal/deadline.js"
import { deadlineSuite } from "./utils/deadlines.js"
import * as fx from "./utils/fixtures.js"

deadlineSuite("under a TestClock, the client's deadline and interruption", "test")

/**
 * A transport on which a thread whose id starts with `hang` never answers: its request ends only
 * when its signal aborts, as a real transport's does. Others get a thread at once.
 */
const transport = () => {
  const seen = { requests: 0, aborted: [] as Array<string> }
  const client = HttpClient.make((request, url, signal) => {
    seen.requests++
    const id = url.pathname.split("/").pop()!
    if (!id.startsWith("hang")) {
      const text = JSON.stringify({ ...fx.thread, id })
      const response = HttpClientResponse.fromWeb(request, new Response(text))
      // read synchronously: a web Response's text() resolves on the real event loop
      return Effect.succeed(Object.defineProperty(response, "text", { get: () => Effect.succeed(text) }))
    }
    return Effect.async<never, HttpClientError.RequestError>((resume) => {
      signal.addEventListener("abort", () => {
        seen.aborted.push(id)
        resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: signal.reason })))
      })
    })
  })
  return Object.assign(seen, { layer: Layer.succeed(HttpClient.HttpClient, client) })
}

const timeoutOf = (fiber: Fiber.RuntimeFiber<unknown, AssistantsError.AssistantsError>) => {
  const exit = fiber.unsafePoll()
  if (exit === null) return "running"
  if (exit._tag === "Success") return "succeeded"
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  return error?._tag === "TimeoutError" ? error.timeoutMillis : "failed otherwise"
}

describe("deadlines", () => {
  it.effect("calls with different timeouts each fail at their own deadline; calls that answer are untouched", () => {
    const mock = transport()
    const layer = AssistantsLive.layer({ baseUrl: "http://api.test/v1", retry: RetryPolicy.none, timeout: "2 seconds" })
      .pipe(Layer.provide(mock.layer))
    return Effect.gen(function*() {
      const fibers = [
        yield* Effect.fork(AssistantsClient.withTimeout(Threads.get({ threadId: "hang_3" }), "3 seconds")),
        yield* Effect.fork(AssistantsClient.withTimeout(Threads.get({ threadId: "hang_1" }), "1 second")),
        yield* Effect.fork(Threads.get({ threadId: "hang_2" }))
      ]
      // calls that answer, between and after the hanging ones, on the same watchdogs
      for (let i = 0; i < 50; i++) {
        const thread = yield* AssistantsClient.withTimeout(
          Threads.get({ threadId: `thread_${i}` }),
          `${1 + i % 3} seconds`
        )
        assert.strictEqual(thread.id, `thread_${i}`)
      }
      assert.deepStrictEqual(fibers.map(timeoutOf), ["running", "running", "running"])
      yield* TestClock.adjust("999 millis")
      assert.deepStrictEqual(fibers.map(timeoutOf), ["running", "running", "running"])
      yield* TestClock.adjust("1 millis")
      yield* Fiber.await(fibers[1])
      assert.deepStrictEqual(fibers.map(timeoutOf), ["running", 1000, "running"])
      yield* TestClock.adjust("1 second")
      yield* Fiber.await(fibers[2])
      assert.deepStrictEqual(fibers.map(timeoutOf), ["running", 1000, 2000])
      yield* TestClock.adjust("1 second")
      yield* Fiber.await(fibers[0])
      assert.deepStrictEqual(fibers.map(timeoutOf), [3000, 1000, 2000])
      assert.deepStrictEqual(mock.aborted, ["hang_1", "hang_2", "hang_3"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("each attempt has a deadline of its own, from its start", () => {
    const mock = transport()
    const layer = AssistantsLive.layer({
      baseUrl: "http://api.test/v1",
      retry: Schedule.spaced("500 millis").pipe(Schedule.intersect(Schedule.recurs(1))),
      timeout: "1 second"
    }).pipe(Layer.provide(mock.layer))
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Threads.get({ threadId: "hang" }))
      yield* TestClock.adjust("1 second")
      // the first attempt timed out; the second starts at 1.5 s and may run to 2.5 s
      yield* TestClock.adjust("500 millis")
      assert.strictEqual(mock.requests, 2)
      yield* TestClock.adjust("999 millis")
      assert.strictEqual(timeoutOf(fiber), "running")
      yield* TestClock.adjust("1 millis")
      yield* Fiber.await(fiber)
      assert.strictEqual(timeoutOf(fiber), 1000)
      assert.deepStrictEqual(mock.aborted, ["hang", "hang"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("while calls overlap, the deadlines they passed are not kept", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      // a limit no other test uses: a watchdog of its own
      const limit = Duration.millis(7_001)
      const start = (gate: Deferred.Deferred<void>) =>
        Effect.fork(Deadline.withDeadline(Deferred.await(gate), limit, () => "timed out"))
      let gate = yield* Deferred.make<void>()
      let fiber = yield* start(gate)
      // one attempt always in flight as the next starts: something is pending throughout
      let most = 0
      for (let i = 0; i < 2_500; i++) {
        const nextGate = yield* Deferred.make<void>()
        const next = yield* start(nextGate)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(fiber)
        most = Math.max(most, Deadline.queued(clock, 7_001))
        gate = nextGate
        fiber = next
      }
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(fiber)
      // 2,501 deadlines went through this watchdog; it held a bounded number at any time
      assert.isAbove(most, 0)
      assert.isAtMost(most, 2 * 1024 + 2)
    }))

  it.live("no timer outlives the calls: a program exits once its call is done", () =>
    Effect.gen(function*() {
      const script = fileURLToPath(new URL("utils/oneCall.ts", import.meta.url))
      const { code, stdout } = yield* Effect.async<{ code: number | null; stdout: string }>((resume) => {
        const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "pipe", "inherit"] })
        let stdout = ""
        child.stdout.on("data", (chunk) => stdout += chunk)
        child.on("exit", (code) => resume(Effect.succeed({ code, stdout })))
        return Effect.sync(() => child.kill("SIGKILL"))
      }).pipe(
        // a pending deadline would hold it for ten minutes
        Effect.timeoutFail({ duration: Duration.seconds(60), onTimeout: () => new Error("the program did not exit") })
      )
      assert.strictEqual(stdout.trim(), "listed 0")
      assert.strictEqual(code, 0)
    }), 90_000)
})
