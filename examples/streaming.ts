/**
 * Streamed runs (`stream: true`): the answer written into the terminal as it arrives, the whole
 * stream folded into the final run and messages, the tool loop over one stream across tool rounds,
 * and what to do when a stream breaks after the run has started (the run goes on: follow it by
 * polling).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Assistants, AssistantsLive, AssistantStream, Runs, Threads, Tool } from "effect-assistants"
import { AssistantsServer } from "effect-assistants-server"
import * as NodeTransport from "effect-assistants/node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

const weather = Tool.make({
  name: "get_weather",
  description: "The current weather in a city",
  parameters: Schema.Struct({ city: Schema.String }),
  handler: ({ city }) => Effect.succeed({ city, celsius: 21 })
})

/** A run that survives a broken stream: on a `ConnectionError` that names the run, poll it. */
const streamOrPoll = (threadId: string, assistantId: string) =>
  AssistantStream.accumulate(Runs.createStream({ threadId, assistantId })).pipe(
    Effect.map((final) => Option.getOrThrow(final.run)),
    Effect.catchTag("ConnectionError", (error) =>
      error.runId === undefined
        ? Effect.fail(error)
        : Runs.watch({ threadId, runId: error.runId }).pipe(
          Stream.runLast,
          Effect.map((last) => Option.getOrThrow(last).run)
        ))
  )

const program = Effect.gen(function*() {
  const assistant = yield* Assistants.create({ model: "gpt-4o", tools: [weather.definition] })

  // 1. the assistant's text, as it is written
  const thread = yield* Threads.create({ messages: [{ role: "user", content: "Tell me a short story" }] })
  yield* Runs.createStream({ threadId: thread.id, assistantId: assistant.id }).pipe(
    AssistantStream.text,
    Stream.runForEach((text) => Effect.sync(() => process.stdout.write(text)))
  )
  yield* Console.log("")

  // 2. the whole stream folded: the final run, thread, messages and steps
  const final = yield* AssistantStream.accumulate(
    Threads.createAndRunStream({ assistantId: assistant.id, thread: { messages: [{ role: "user", content: "Hi!" }] } })
  )
  yield* Console.log(
    `accumulated: run ${
      Option.getOrThrow(final.run).status
    }, ${final.messages.length} message(s), ${final.steps.length} step(s)`
  )

  // 3. the tool loop over one stream: every tool round in one uninterrupted stream
  const asks = yield* Threads.create({ messages: [{ role: "user", content: "get_weather in Oslo?" }] })
  const statuses = yield* Runs.createAndRunToolsStream({
    threadId: asks.id,
    assistantId: assistant.id,
    tools: [weather]
  })
    .pipe(
      Stream.filterMap((event) =>
        /^thread\.run\.[a-z_]+$/.test(event.event) ? Option.some(event.event) : Option.none()
      ),
      Stream.runCollect
    )
  yield* Console.log(`tool loop: ${[...statuses].join(", ")}`)

  // 4. a stream that breaks after the run started fails with the run's id: poll from there
  const other = yield* Threads.create({ messages: [{ role: "user", content: "hello" }] })
  const run = yield* streamOrPoll(other.id, assistant.id)
  yield* Console.log(`streamed or polled: ${run.status}`)
})

const Live = Layer.unwrapEffect(
  Effect.map(AssistantsServer.AssistantsServer, ({ url }) => AssistantsLive.layer({ baseUrl: url }))
).pipe(Layer.provide(NodeTransport.layer))

NodeRuntime.runMain(program.pipe(Effect.provide(Live), Effect.provide(AssistantsServer.layer())))
