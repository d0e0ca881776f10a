/**
 * Streamed runs end to end: the client's streaming calls, the accumulator and the tool loop over
 * one stream, against the embedded server, over the portable transport and the Node one.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, it } from "@effect/vitest"
import { AssistantsServer, Model } from "effect-assistants-server"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import {
  Assistants,
  AssistantsLive,
  AssistantStream,
  Messages,
  Runs,
  RunSteps,
  Threads,
  Tool
} from "../../src/index.js"
import * as NodeTransport from "../../src/layers/NodeTransport.js"
import { fastTimings } from "../utils/Harness.js"
import { describeStoresEach, type StoreKind } from "./stores.js"

const weather = Tool.make({
  name: "get_weather",
  parameters: Schema.Struct({ city: Schema.String }),
  handler: ({ city }) => Effect.succeed(`sunny in ${city}`)
})
const time = Tool.make({
  name: "get_time",
  parameters: Schema.Struct({ zone: Schema.String }),
  handler: ({ zone }) => Effect.succeed({ zone, time: "12:00" })
})

/** The scripted model, asking for every function tool named in the message in its first two rounds. */
const twoRounds: Model.Model["Type"] = {
  respond: (input) =>
    input.round < 2 && input.functions.length > 0
      ? Effect.succeed({
        _tag: "ToolCalls",
        calls: input.functions.map((f) => ({ name: f.name, arguments: JSON.stringify(Model.sample(f.parameters)) }))
      })
      : Model.scripted.respond(input)
}

const transports = [["FetchHttpClient", FetchHttpClient.layer], ["NodeTransport", NodeTransport.layer]] as const

/**
 * The server on a fresh `store` and the client over `transport`, as a user builds it:
 * `AssistantsLive.layer` alone provides the services and the client the streamed calls run over.
 */
const against = (
  transport: Layer.Layer<HttpClient.HttpClient>,
  store: StoreKind,
  server: AssistantsServer.Options = {}
) =>
  Layer.provideMerge(
    Layer.unwrapEffect(
      Effect.map(AssistantsServer.AssistantsServer, ({ url }) => AssistantsLive.layer({ baseUrl: url }))
    ).pipe(Layer.provide(transport)),
    AssistantsServer.layer({ ...server, database: store.database(), timings: { ...fastTimings, ...server.timings } })
  )

/** Both transports over memory, the Node one over each database (as in Server.test.ts). */
const transportsOver = (store: StoreKind) => store.name === "memory" ? transports : transports.slice(1)

describeStoresEach(transportsOver)("streamed runs over %s", (store, _, transport) => {
  it.live("createAndRunStream, accumulated: the run, thread, messages and steps equal what reads return after", () =>
    Effect.gen(function*() {
      const assistant = yield* Assistants.create({ model: "gpt-4o" })
      const final = yield* AssistantStream.accumulate(Threads.createAndRunStream({
        assistantId: assistant.id,
        thread: { messages: [{ role: "user", content: "stream this ☃ answer, please" }] }
      }))
      const run = Option.getOrThrow(final.run)
      assert.strictEqual(run.status, "completed")
      const ids = { threadId: run.threadId, runId: run.id }
      assert.deepStrictEqual(yield* Runs.get(ids), run)
      assert.deepStrictEqual(yield* Threads.get({ threadId: run.threadId }), Option.getOrThrow(final.thread))
      assert.strictEqual(final.messages.length, 1)
      for (const message of final.messages) {
        assert.deepStrictEqual(yield* Messages.get({ threadId: run.threadId, messageId: message.id }), message)
      }
      const text = final.messages[0].content[0]
      assert.strictEqual(text.type === "text" && text.text.value, "You said: stream this ☃ answer, please")
      assert.deepStrictEqual(
        final.steps,
        (yield* RunSteps.list({ ...ids, order: "asc" })).data
      )
    }).pipe(Effect.provide(against(transport, store))))

  it.live("a tool call: arguments complete in the folded step, as in the run's required action", () =>
    Effect.gen(function*() {
      const assistant = yield* Assistants.create({ model: "gpt-4o", tools: [weather.definition] })
      const thread = yield* Threads.create({ messages: [{ role: "user", content: "get_weather in Oslo" }] })
      const final = yield* AssistantStream.accumulate(
        Runs.createStream({ threadId: thread.id, assistantId: assistant.id })
      )
      const run = Option.getOrThrow(final.run)
      assert.strictEqual(run.status, "requires_action")
      const asked = run.requiredAction!.submitToolOutputs.toolCalls
      const step = final.steps[0]
      assert.strictEqual(step.stepDetails.type, "tool_calls")
      if (step.stepDetails.type === "tool_calls") {
        const call = step.stepDetails.toolCalls[0]
        assert.strictEqual(call.type, "function")
        if (call.type === "function") {
          assert.deepStrictEqual([call.id, call.function.name, call.function.arguments, call.function.output], [
            asked[0].id,
            "get_weather",
            asked[0].function.arguments,
            null
          ])
          assert.deepStrictEqual(JSON.parse(call.function.arguments), { city: "sample city" })
        }
      }
      assert.deepStrictEqual(yield* RunSteps.get({ threadId: thread.id, runId: run.id, stepId: step.id }), step)

      // the outputs, streamed: the step completes with them, and the reply follows
      const after = yield* AssistantStream.accumulate(Runs.submitToolOutputsStream({
        threadId: thread.id,
        runId: run.id,
        run,
        toolOutputs: [{ toolCallId: asked[0].id, output: "rain" }]
      }))
      assert.strictEqual(Option.getOrThrow(after.run).status, "completed")
      assert.deepStrictEqual(after.steps.map((s) => [s.type, s.status]), [["tool_calls", "completed"], [
        "message_creation",
        "completed"
      ]])
      const reply = after.messages[0].content[0]
      assert.strictEqual(reply.type === "text" && reply.text.value, "get_weather returned rain")
    }).pipe(Effect.provide(against(transport, store))))

  it.live("an incomplete run is the final run", () =>
    Effect.gen(function*() {
      const assistant = yield* Assistants.create({ model: "gpt-4o" })
      const final = yield* AssistantStream.accumulate(Threads.createAndRunStream({
        assistantId: assistant.id,
        thread: { messages: [{ role: "user", content: "[incomplete]" }] }
      }))
      const run = Option.getOrThrow(final.run)
      assert.deepStrictEqual([run.status, run.incompleteDetails?.reason], ["incomplete", "max_completion_tokens"])
      assert.deepStrictEqual(yield* Runs.get({ threadId: run.threadId, runId: run.id }), run)
    }).pipe(Effect.provide(against(transport, store))))

  it.live("text: the answer word by word", () =>
    Effect.gen(function*() {
      const assistant = yield* Assistants.create({ model: "gpt-4o" })
      const words = yield* Stream.runCollect(AssistantStream.text(Threads.createAndRunStream({
        assistantId: assistant.id,
        thread: { messages: [{ role: "user", content: "one two three" }] }
      })))
      assert.deepStrictEqual(Chunk.toArray(words), ["You ", "said: ", "one ", "two ", "three"])
    }).pipe(Effect.provide(against(transport, store))))

  it.live("the tool loop over one stream: two tool rounds, one continuous stream to the completed run", () =>
    Effect.gen(function*() {
      const assistant = yield* Assistants.create({ model: "gpt-4o" })
      const thread = yield* Threads.create({ messages: [{ role: "user", content: "weather and time please" }] })
      const events = Chunk.toArray(
        yield* Stream.runCollect(Runs.createAndRunToolsStream({
          threadId: thread.id,
          assistantId: assistant.id,
          tools: [weather, time]
        }))
      )
      const runEvents = events.flatMap((
        e
      ) => (e.event !== "unknown" && e.data.object === "thread.run" ? [e.event] : []))
      assert.deepStrictEqual(runEvents, [
        "thread.run.created",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.requires_action",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.requires_action",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.completed"
      ])
      const final = yield* AssistantStream.accumulate(Stream.fromIterable(events))
      const run = Option.getOrThrow(final.run)
      assert.deepStrictEqual(yield* Runs.get({ threadId: thread.id, runId: run.id }), run)
      // each round's step completed with the handlers' outputs
      const outputs = final.steps.flatMap((s) =>
        s.stepDetails.type === "tool_calls"
          ? s.stepDetails.toolCalls.map((c) => (c.type === "function" ? c.function.output : null))
          : []
      )
      assert.deepStrictEqual(outputs, [
        "sunny in sample city",
        JSON.stringify({ zone: "sample zone", time: "12:00" }),
        "sunny in sample city",
        JSON.stringify({ zone: "sample zone", time: "12:00" })
      ])
      const reply = final.messages[0].content[0]
      assert.match(reply.type === "text" ? reply.text.value : "", /^get_weather returned sunny in sample city; /)
    }).pipe(Effect.provide(against(transport, store, { model: twoRounds }))))

  it.live("runToolsStream joins a run started without streaming (polled until it waits), then streams", () =>
    Effect.gen(function*() {
      const assistant = yield* Assistants.create({ model: "gpt-4o", tools: [weather.definition] })
      const thread = yield* Threads.create({ messages: [{ role: "user", content: "get_weather" }] })
      const started = yield* Runs.create({ threadId: thread.id, assistantId: assistant.id })
      const events = Chunk.toArray(
        yield* Stream.runCollect(Runs.runToolsStream({
          threadId: thread.id,
          runId: started.id,
          tools: [weather],
          interval: "5 millis"
        }))
      )
      const first = events[0]
      assert.isTrue(first.event.startsWith("thread.run."))
      const last = events[events.length - 1]
      assert.strictEqual(last.event, "thread.run.completed")
      assert.isTrue(events.some((e) => e.event === "thread.run.requires_action"))
      assert.isTrue(events.some((e) => e.event === "thread.message.delta"))
    }).pipe(Effect.provide(against(transport, store))))

  it.live("maxRounds: the run is cancelled and the stream fails with ToolRoundsExceededError", () =>
    Effect.gen(function*() {
      const assistant = yield* Assistants.create({ model: "gpt-4o" })
      const thread = yield* Threads.create({ messages: [{ role: "user", content: "get_weather" }] })
      const error = yield* Effect.flip(Stream.runDrain(Runs.createAndRunToolsStream({
        threadId: thread.id,
        assistantId: assistant.id,
        tools: [weather],
        maxRounds: 1
      })))
      assert.strictEqual(error._tag, "ToolRoundsExceededError")
      if (error._tag === "ToolRoundsExceededError") {
        const run = yield* Runs.get({ threadId: thread.id, runId: error.runId })
        assert.include(["cancelling", "cancelled"], run.status)
      }
    }).pipe(Effect.provide(against(transport, store, { model: twoRounds }))))

  it.live("a bad parameter fails before anything is sent", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Stream.runDrain(Runs.createStream({ threadId: "../x", assistantId: "asst_1" })))
      assert.deepStrictEqual([error._tag, error._tag === "InvalidRequestError" && error.param], [
        "InvalidRequestError",
        "threadId"
      ])
      const status = yield* Effect.flip(
        Stream.runDrain(Runs.createStream({ threadId: "thread_nope", assistantId: "a" }))
      )
      assert.strictEqual(status._tag, "NotFoundError")
    }).pipe(Effect.provide(against(transport, store))))
})
