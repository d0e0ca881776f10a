import * as Headers from "@effect/platform/Headers"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { AssistantsLive, Run, RunPolling, Runs, Tool } from "../src/index.js"
import * as fx from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

const ids = { threadId: "thread_abc123", runId: "run_abc123" }

const run = (status: string, extra: Record<string, unknown> = {}) => ({
  ...fx.run,
  status,
  required_action: status === "requires_action" ? fx.run.required_action : null,
  ...extra
})

/** A count that a test can wait on: `reached(n)` resumes once it is at least `n`. */
const counter = () => {
  let n = 0
  const waiting = new Set<{ readonly at: number; readonly done: Deferred.Deferred<void> }>()
  return {
    get: () => n,
    bump: () => {
      n++
      for (const w of waiting) {
        if (n >= w.at) {
          waiting.delete(w)
          Deferred.unsafeDone(w.done, Exit.void)
        }
      }
    },
    reached: (at: number): Effect.Effect<void> =>
      Effect.suspend(() =>
        n >= at ? Effect.void : Effect.flatMap(Deferred.make<void>(), (done) => {
          waiting.add({ at, done })
          return Deferred.await(done)
        })
      )
  }
}

/**
 * A server whose run reads walk through `statuses` (the last one repeats). `readsReached(n)` and
 * `requestsReached(n)` wait until the client has sent that many reads, or requests of any kind.
 */
const scripted = (statuses: ReadonlyArray<string>, headers: Record<string, string> = {}) => {
  const reads = counter()
  const requests = counter()
  const mock = MockHttp.make((request) => {
    const reply = request.method === "GET"
      ? { body: run(statuses[Math.min(reads.get(), statuses.length - 1)]), headers }
      : { body: run("queued") }
    if (request.method === "GET") reads.bump()
    requests.bump()
    return reply
  })
  const layer = AssistantsLive.layer({ baseUrl: "http://api.test/v1" }).pipe(Layer.provide(mock.layer))
  return { mock, layer, reads: reads.get, readsReached: reads.reached, requestsReached: requests.reached }
}

const statusesOf = (transitions: Chunk.Chunk<Runs.RunTransition>): Array<[string | null, string]> =>
  Chunk.toArray(transitions).map((t) => [Option.getOrNull(t.previous), t.current])

describe("Runs.watch", () => {
  it.effect("one element per status change, ending at requires_action", () => {
    const { layer, reads } = scripted([
      "queued",
      "queued",
      "in_progress",
      "in_progress",
      "in_progress",
      "requires_action",
      "completed"
    ])
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Stream.runCollect(Runs.watch({ ...ids, interval: "1 second" })))
      yield* TestClock.adjust("10 seconds")
      const transitions = yield* Fiber.join(fiber)
      assert.deepStrictEqual(statusesOf(transitions), [
        [null, "queued"],
        ["queued", "in_progress"],
        ["in_progress", "requires_action"]
      ])
      assert.strictEqual(reads(), 6)
      assert.strictEqual(Chunk.unsafeLast(transitions).run.requiredAction?.submitToolOutputs.toolCalls[0].id, "call_1")
    }).pipe(Effect.provide(layer))
  })

  it.effect("ends after every terminal status, and carries unknown statuses through", () =>
    Effect.gen(function*() {
      for (const terminal of ["completed", "failed", "cancelled", "expired", "incomplete"]) {
        const { layer, reads } = scripted([
          "queued",
          "in_progress",
          "paused_for_review",
          "cancelling",
          terminal,
          "queued"
        ])
        const fiber = yield* Effect.fork(
          Stream.runCollect(Runs.watch({ ...ids, interval: "1 second" })).pipe(Effect.provide(layer))
        )
        yield* TestClock.adjust("10 seconds")
        const transitions = yield* Fiber.join(fiber)
        assert.deepStrictEqual(statusesOf(transitions).map(([, c]) => c), [
          "queued",
          "in_progress",
          "paused_for_review",
          "cancelling",
          terminal
        ])
        assert.strictEqual(reads(), 5)
      }
    }))

  it.effect("polls every second by default, as the server's openai-poll-after-ms says, or at a fixed interval", () =>
    Effect.gen(function*() {
      const byDefault = scripted(["queued"])
      const a = yield* Effect.fork(Stream.runDrain(Runs.watch(ids)).pipe(Effect.provide(byDefault.layer)))
      yield* byDefault.readsReached(1)
      assert.strictEqual(byDefault.reads(), 1)
      yield* TestClock.adjust("999 millis")
      assert.strictEqual(byDefault.reads(), 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(byDefault.reads(), 2)
      yield* Fiber.interrupt(a)

      const hinted = scripted(["queued"], { "openai-poll-after-ms": "250" })
      const b = yield* Effect.fork(Stream.runDrain(Runs.watch(ids)).pipe(Effect.provide(hinted.layer)))
      yield* hinted.readsReached(1)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(hinted.reads(), 5)
      yield* Fiber.interrupt(b)

      const fixed = scripted(["queued"], { "openai-poll-after-ms": "250" })
      const c = yield* Effect.fork(
        Stream.runDrain(Runs.watch({ ...ids, interval: "500 millis" })).pipe(Effect.provide(fixed.layer))
      )
      yield* fixed.readsReached(1)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(fixed.reads(), 3)
      yield* Fiber.interrupt(c)
    }))

  it.effect("a schedule replaces the interval, and its end ends the stream", () => {
    const { layer, reads, readsReached } = scripted(["queued"])
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Stream.runCollect(Runs.watch({
        ...ids,
        schedule: Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(3)))
      })))
      yield* readsReached(1)
      yield* TestClock.adjust("100 millis")
      assert.strictEqual(reads(), 2)
      yield* TestClock.adjust("200 millis")
      assert.strictEqual(reads(), 3)
      yield* TestClock.adjust("400 millis")
      assert.strictEqual(reads(), 4)
      const transitions = yield* Fiber.join(fiber)
      assert.strictEqual(Chunk.size(transitions), 1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a deadline fails with TimeoutError", () => {
    const { layer, reads } = scripted(["queued"])
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Effect.flip(Stream.runDrain(Runs.watch({ ...ids, interval: "1 second", deadline: "3500 millis" })))
      )
      yield* TestClock.adjust("3500 millis")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "TimeoutError")
      assert.strictEqual(reads(), 4)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(reads(), 4)
    }).pipe(Effect.provide(layer))
  })

  it.effect("interrupting the stream stops polling at once", () => {
    const { layer, reads } = scripted(["queued", "in_progress"])
    return Effect.gen(function*() {
      const seen: Array<string> = []
      const fiber = yield* Effect.fork(
        Stream.runForEach(Runs.watch({ ...ids, interval: "1 second" }), (t) => Effect.sync(() => seen.push(t.current)))
      )
      yield* TestClock.adjust("2500 millis")
      assert.strictEqual(reads(), 3)
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("1 hour")
      assert.strictEqual(reads(), 3)
      assert.deepStrictEqual(seen, ["queued", "in_progress"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("transient errors inside the watch go through the retry policy", () => {
    let i = 0
    const mock = MockHttp.make(
      () => (i++ === 1
        ? { status: 503, body: { error: { message: "busy", type: "server_error" } } }
        : { body: run(i > 2 ? "completed" : "queued") })
    )
    const layer = AssistantsLive.layer({ baseUrl: "http://api.test/v1" }).pipe(Layer.provide(mock.layer))
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Stream.runCollect(Runs.watch({ ...ids, interval: "1 second" })))
      yield* TestClock.adjust("5 seconds")
      const transitions = yield* Fiber.join(fiber)
      assert.deepStrictEqual(statusesOf(transitions).map(([, c]) => c), ["queued", "completed"])
      assert.strictEqual(mock.requests.length, 3)
    }).pipe(Effect.provide(layer))
  })
})

describe("poll helpers", () => {
  it.effect("createAndPoll returns the run once it requires action", () => {
    const { layer, mock } = scripted(["in_progress", "requires_action"])
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Runs.createAndPoll({ threadId: ids.threadId, assistantId: "asst_abc123", interval: "100 millis" })
      )
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "requires_action")
      assert.deepStrictEqual(mock.requests.map((r) => r.method), ["POST", "GET", "GET"])
    }).pipe(Effect.provide(layer))
  })

  // the helpers drive the same polling as Runs.watch in a loop of their own (no stream), so its
  // options are checked here again
  const create = { threadId: ids.threadId, assistantId: "asst_abc123" }

  it.effect("createAndPoll: a deadline fails with TimeoutError and stops polling", () => {
    const { layer, reads } = scripted(["queued"])
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Effect.flip(Runs.createAndPoll({ ...create, interval: "1 second", deadline: "3500 millis" }))
      )
      yield* TestClock.adjust("3500 millis")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "TimeoutError")
      assert.include(error.message, "3s 500ms")
      assert.strictEqual(reads(), 3)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(reads(), 3)
    }).pipe(Effect.provide(layer))
  })

  it.effect("createAndPoll: the server's openai-poll-after-ms paces it; a schedule's end returns the last run seen", () =>
    Effect.gen(function*() {
      const hinted = scripted(["queued", "in_progress", "completed"], { "openai-poll-after-ms": "250" })
      const a = yield* Effect.fork(Runs.createAndPoll(create).pipe(Effect.provide(hinted.layer)))
      // the create's answer has no header here: the default second first, then 250 ms
      yield* hinted.requestsReached(1)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(hinted.reads(), 1)
      yield* TestClock.adjust("249 millis")
      assert.strictEqual(hinted.reads(), 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(hinted.reads(), 2)
      yield* TestClock.adjust("250 millis")
      assert.strictEqual((yield* Fiber.join(a)).status, "completed")

      const scheduled = scripted(["queued", "in_progress"])
      const b = yield* Effect.fork(
        Runs.createAndPoll({
          ...create,
          schedule: Schedule.spaced("100 millis").pipe(Schedule.intersect(Schedule.recurs(3)))
        }).pipe(Effect.provide(scheduled.layer))
      )
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(b)).status, "in_progress")
      assert.strictEqual(scheduled.reads(), 3)
    }))

  it.effect("createAndPoll: a create that is already settled makes no read; interrupting stops polling at once", () =>
    Effect.gen(function*() {
      const settled = MockHttp.make(() => ({ body: run("requires_action") }))
      const result = yield* Runs.createAndPoll({ ...create, interval: "100 millis" }).pipe(
        Effect.provide(AssistantsLive.layer({ baseUrl: "http://api.test/v1" }).pipe(Layer.provide(settled.layer)))
      )
      assert.strictEqual(result.status, "requires_action")
      assert.deepStrictEqual(settled.requests.map((r) => r.method), ["POST"])

      const { layer, reads } = scripted(["queued"])
      const fiber = yield* Effect.fork(
        Runs.createAndPoll({ ...create, interval: "1 second" }).pipe(Effect.provide(layer))
      )
      yield* TestClock.adjust("2500 millis")
      assert.strictEqual(reads(), 2)
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("1 hour")
      assert.strictEqual(reads(), 2)
    }))

  it.effect("submitToolOutputsAndPoll skips a stale requires_action that lists the answered calls", () => {
    const { layer, mock } = scripted(["requires_action", "in_progress", "completed"])
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Runs.submitToolOutputsAndPoll({
          ...ids,
          toolOutputs: [{ toolCallId: "call_1", output: "x" }],
          interval: "100 millis"
        })
      )
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.status, "completed")
      assert.strictEqual(mock.requests.length, 4)
    }).pipe(Effect.provide(layer))
  })
})

describe("ensureCompleted", () => {
  const of = (status: string, extra: Record<string, unknown> = {}) =>
    Schema.decodeUnknownSync(Run.Run)(run(status, extra))
  it.effect("maps each terminal status to its error", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* Runs.ensureCompleted(of("completed"))).status, "completed")
      const failed = yield* Effect.flip(
        Runs.ensureCompleted(of("failed", { last_error: { code: "rate_limit_exceeded", message: "slow" } }))
      )
      assert.strictEqual(failed._tag, "RunFailedError")
      assert.deepStrictEqual(failed._tag === "RunFailedError" && failed.lastError, {
        code: "rate_limit_exceeded",
        message: "slow"
      })
      assert.strictEqual((yield* Effect.flip(Runs.ensureCompleted(of("cancelled"))))._tag, "RunCancelledError")
      assert.strictEqual((yield* Effect.flip(Runs.ensureCompleted(of("expired"))))._tag, "RunExpiredError")
      const incomplete = yield* Effect.flip(
        Runs.ensureCompleted(of("incomplete", { incomplete_details: { reason: "max_prompt_tokens" } }))
      )
      assert.strictEqual(incomplete._tag === "RunIncompleteError" && incomplete.reason, "max_prompt_tokens")
      const pending = yield* Effect.flip(Runs.ensureCompleted(of("requires_action")))
      assert.strictEqual(pending._tag === "RunIncompleteError" && pending.reason, "requires_action")
    }))
})

describe("the tool loop", () => {
  const weather = Tool.make({
    name: "get_weather",
    description: "Weather",
    parameters: Schema.Struct({ city: Schema.String }),
    handler: ({ city }) => Effect.as(Effect.sleep("1 second"), `sunny in ${city}`)
  })
  const add = Tool.make({
    name: "add",
    parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
    handler: ({ a, b }) => Effect.as(Effect.sleep("1 second"), { sum: a + b })
  })

  const calls = (list: ReadonlyArray<[string, string, string]>) => ({
    type: "submit_tool_outputs",
    submit_tool_outputs: {
      tool_calls: list.map(([id, name, args]) => ({ id, type: "function", function: { name, arguments: args } }))
    }
  })

  /** A server that asks for `rounds` rounds of calls, then completes; it records what was submitted. */
  const toolServer = (rounds: ReadonlyArray<ReturnType<typeof calls>>) => {
    let round = 0
    let waiting = true
    const submitted: Array<unknown> = []
    const mock = MockHttp.make((request) => {
      if (request.path.endsWith("/submit_tool_outputs")) {
        submitted.push(request.body)
        round++
        waiting = true
        return { body: run("queued") }
      }
      if (request.path.endsWith("/cancel")) return { body: run("cancelling") }
      if (round >= rounds.length) return { body: run("completed") }
      if (waiting) {
        waiting = false
        return { body: run("in_progress") }
      }
      return { body: run("requires_action", { required_action: rounds[round] }) }
    })
    const layer = AssistantsLive.layer({ baseUrl: "http://api.test/v1" }).pipe(Layer.provide(mock.layer))
    return { mock, layer, submitted }
  }

  it.effect("two parallel calls answered concurrently, outputs submitted in one request", () => {
    const { layer, submitted } = toolServer([
      calls([["call_a", "get_weather", "{\"city\":\"Paris\"}"], ["call_b", "add", "{\"a\":2,\"b\":3}"]])
    ])
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Stream.runCollect(Runs.runToolsEvents({ ...ids, tools: [weather, add], interval: "100 millis" }))
      )
      // both handlers sleep 1 s: concurrently, the round takes 1 s, not 2
      yield* TestClock.adjust("1200 millis")
      assert.strictEqual(submitted.length, 1)
      yield* TestClock.adjust("1 second")
      const events = Chunk.toArray(yield* Fiber.join(fiber))
      assert.deepStrictEqual(submitted[0], {
        tool_outputs: [{ tool_call_id: "call_a", output: "sunny in Paris" }, {
          tool_call_id: "call_b",
          output: "{\"sum\":5}"
        }]
      })
      const summary = events.map((e) => (e._tag === "Transition" ? e.transition.current : `call ${e.call.id}`))
      assert.deepStrictEqual(summary, [
        "in_progress",
        "requires_action",
        "call call_a",
        "call call_b",
        "queued",
        "completed"
      ])
    }).pipe(Effect.provide(layer))
  })

  it.effect("bad arguments and unknown functions become error outputs; the run goes on", () => {
    const { layer, submitted } = toolServer([calls([
      ["call_a", "get_weather", "{\"town\":\"Paris\"}"],
      ["call_b", "add", "not json"],
      ["call_c", "launch_rockets", "{}"]
    ])])
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(Runs.runTools({ ...ids, tools: [weather, add], interval: "100 millis" }))
      yield* TestClock.adjust("2 seconds")
      const final = yield* Fiber.join(fiber)
      assert.strictEqual(final.status, "completed")
      const outputs = (submitted[0] as { tool_outputs: Array<{ tool_call_id: string; output: string }> }).tool_outputs
      assert.deepStrictEqual(outputs.map((o) => o.tool_call_id), ["call_a", "call_b", "call_c"])
      assert.include(JSON.parse(outputs[0].output).error, "invalid arguments for get_weather")
      assert.include(JSON.parse(outputs[1].output).error, "not valid JSON")
      assert.deepStrictEqual(JSON.parse(outputs[2].output), { error: "unknown function launch_rockets" })
    }).pipe(Effect.provide(layer))
  })

  it.effect("more rounds than allowed cancel the run and fail with ToolRoundsExceededError", () => {
    // each round asks with fresh call ids, as servers do
    const round = (n: number) => calls([[`call_${n}`, "add", "{\"a\":1,\"b\":1}"]])
    const { layer, mock } = toolServer([round(1), round(2), round(3), round(4)])
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Effect.flip(Runs.runTools({ ...ids, tools: [add], maxRounds: 2, interval: "100 millis", deadline: "1 minute" }))
      )
      yield* TestClock.adjust("10 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "ToolRoundsExceededError")
      assert.strictEqual(mock.requests.filter((r) => r.path.endsWith("/submit_tool_outputs")).length, 2)
      assert.isTrue(mock.requests[mock.requests.length - 1].path.endsWith("/cancel"))
    }).pipe(Effect.provide(layer))
  })

  it("derives the function definition from the schema", () => {
    assert.deepStrictEqual(weather.definition, {
      type: "function",
      function: {
        name: "get_weather",
        description: "Weather",
        parameters: {
          type: "object",
          required: ["city"],
          properties: { city: { type: "string" } },
          additionalProperties: false
        }
      }
    })
  })
})

describe("RunPolling over operations of one's own", () => {
  it.effect("watch and poll need only the three run operations", () =>
    Effect.gen(function*() {
      const statuses = ["queued", "in_progress", "completed"]
      let reads = 0
      const decode = Schema.decodeUnknownSync(Run.Run)
      const operations: RunPolling.RunOperations = {
        getWithHeaders: () =>
          Effect.sync(() => ({
            value: decode(run(statuses[Math.min(reads++, statuses.length - 1)])),
            headers: Headers.fromInput({ "openai-poll-after-ms": "10" })
          })),
        submitToolOutputsWithHeaders: () => Effect.die("not called"),
        cancel: () => Effect.die("not called")
      }
      const fiber = yield* Effect.fork(Stream.runCollect(RunPolling.watch(operations, ids)))
      yield* TestClock.adjust("100 millis")
      assert.deepStrictEqual(statusesOf(yield* Fiber.join(fiber)).map(([, c]) => c), statuses)

      reads = 0
      const seed: RunPolling.Seed = { run: decode(run("queued")), previous: Option.none(), pollAfterMillis: 10 }
      const polled = yield* Effect.fork(RunPolling.poll(operations, ids, seed))
      yield* TestClock.adjust("100 millis")
      assert.strictEqual((yield* Fiber.join(polled)).status, "completed")
      assert.strictEqual(reads, 3)
    }))
})
