import { assert, describe, it } from "@effect/vitest"
import { Assistants, Runs, Threads } from "effect-assistants"
import { Model, RunEngine } from "effect-assistants-server"
import type { Message } from "effect-assistants/Message"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as Harness from "../../test/utils/Harness.js"

const user = (text: string): Message => ({
  id: "msg_1",
  object: "thread.message",
  createdAt: 0,
  threadId: "thread_1",
  status: "completed",
  incompleteDetails: null,
  completedAt: 0,
  incompleteAt: null,
  role: "user",
  content: [{ type: "text", text: { value: text, annotations: [] } }],
  assistantId: null,
  runId: null,
  attachments: null,
  metadata: null
})

const functions = [
  { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
  { name: "get_time", parameters: { type: "object", properties: { zone: { enum: ["UTC", "CET"] } } } }
]

const respond = (text: string, extra: Partial<Model.Input> = {}) =>
  Model.scripted.respond({
    model: "m",
    instructions: "",
    functions,
    toolChoice: "auto",
    messages: [user(text)],
    toolOutputs: [],
    round: 0,
    ...extra
  })

describe("the scripted model", () => {
  it.effect("calls the tools named in the latest user message, in one round", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* respond("get_time and get_weather please"), {
        _tag: "ToolCalls",
        calls: [{ name: "get_weather", arguments: "{\"city\":\"sample city\"}" }, {
          name: "get_time",
          arguments: "{\"zone\":\"UTC\"}"
        }]
      })
      assert.deepStrictEqual(yield* respond("hello"), { _tag: "Reply", text: "You said: hello" })
    }))

  it.effect("follows tool_choice: required, a named function, none", () =>
    Effect.gen(function*() {
      const required = yield* respond("hello", { toolChoice: "required" })
      assert.strictEqual(required._tag === "ToolCalls" && required.calls.length, 2)
      const named = yield* respond("hello", { toolChoice: { type: "function", function: { name: "get_time" } } })
      assert.deepStrictEqual(named._tag === "ToolCalls" && named.calls.map((c) => c.name), ["get_time"])
      assert.strictEqual((yield* respond("get_weather", { toolChoice: "none" }))._tag, "Reply")
    }))

  it.effect("answers with the tool outputs after a round, and obeys [fail] and [incomplete]", () =>
    Effect.gen(function*() {
      const after = yield* respond("get_weather", {
        round: 1,
        toolOutputs: [{ name: "get_weather", arguments: "{}", output: "rain" }]
      })
      assert.deepStrictEqual(after, { _tag: "Reply", text: "get_weather returned rain" })
      assert.strictEqual((yield* respond("please [fail]"))._tag, "Fail")
      assert.deepStrictEqual(yield* respond("[incomplete]"), { _tag: "Incomplete", reason: "max_completion_tokens" })
    }))

  it.effect("[rounds:2] calls the named tools again in the second round, then replies", () =>
    Effect.gen(function*() {
      const first = { name: "get_weather", arguments: "{}", output: "rain", round: 0 }
      const second = { name: "get_weather", arguments: "{}", output: "sun", round: 1 }
      const calls = {
        _tag: "ToolCalls" as const,
        calls: [{ name: "get_weather", arguments: "{\"city\":\"sample city\"}" }]
      }
      assert.deepStrictEqual(yield* respond("get_weather [rounds:2]"), calls)
      assert.deepStrictEqual(yield* respond("get_weather [rounds:2]", { round: 1, toolOutputs: [first] }), calls)
      assert.deepStrictEqual(yield* respond("get_weather [rounds:2]", { round: 2, toolOutputs: [first, second] }), {
        _tag: "Reply",
        text: "get_weather returned rain; get_weather returned sun"
      })
      // without the marker, the second round replies
      assert.strictEqual((yield* respond("get_weather", { round: 1, toolOutputs: [first] }))._tag, "Reply")
    }))

  it("samples JSON Schemas: const, default, enum, examples, types, arrays, refs", () => {
    assert.deepStrictEqual(
      Model.sample({
        type: "object",
        $defs: { Int: { type: "integer", minimum: 3 } },
        properties: {
          c: { const: 7 },
          d: { type: "string", default: "dflt" },
          e: { enum: ["x", "y"] },
          x: { type: "string", examples: ["ex"] },
          s: { type: "string" },
          n: { type: "number" },
          i: { $ref: "#/$defs/Int" },
          b: { type: "boolean" },
          a: { type: "array", items: { type: "integer" }, minItems: 2 },
          u: { anyOf: [{ type: "null" }, { type: "string" }] },
          o: { type: "object", properties: { deep: { type: ["string", "null"] } } }
        }
      }),
      {
        c: 7,
        d: "dflt",
        e: "x",
        x: "ex",
        s: "sample s",
        n: 1,
        i: 3,
        b: true,
        a: [1, 1],
        u: null,
        o: { deep: "sample deep" }
      }
    )
  })
})

describe("the run engine's event stream", () => {
  it.live("publishes every change of a run, named as the API's stream events", () => {
    const harness = Harness.make()
    return Effect.gen(function*() {
      const engine = yield* RunEngine.RunEngine
      const fiber = yield* Effect.fork(
        Stream.runCollect(Stream.takeUntil(engine.events, (e) => e.event === "thread.run.completed"))
      )
      yield* Effect.yieldNow()
      const assistant = yield* Assistants.create({ model: "m" })
      const run = yield* Threads.createAndRunPoll({
        assistantId: assistant.id,
        thread: { messages: [{ role: "user", content: "hi" }] }
      })
      yield* Runs.ensureCompleted(run)
      const events = Chunk.toArray(yield* Fiber.join(fiber)).map((e) => e.event)
      assert.deepStrictEqual(events, [
        "thread.run.created",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.step.created",
        "thread.run.step.in_progress",
        "thread.message.created",
        "thread.message.in_progress",
        // "You said: hi", word by word
        "thread.message.delta",
        "thread.message.delta",
        "thread.message.delta",
        "thread.message.completed",
        "thread.run.step.completed",
        "thread.run.completed"
      ])
    }).pipe(Effect.provide(harness.layer))
  })
})
