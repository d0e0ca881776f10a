/**
 * The tool loop with Schema-typed tools: each tool's JSON Schema is derived from its Schema, the
 * model's arguments are decoded with it, and `createAndRunTools` answers every `requires_action`
 * until the run is terminal.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Assistants, AssistantsLive, Messages, Runs, Threads, Tool } from "effect-assistants"
import { AssistantsServer } from "effect-assistants-server"
import * as NodeTransport from "effect-assistants/node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"

const weather = Tool.make({
  name: "get_weather",
  description: "The current weather in a city",
  parameters: Schema.Struct({ city: Schema.String, unit: Schema.Literal("celsius", "fahrenheit") }),
  // `city` and `unit` are typed; arguments that do not decode are answered with an error output
  handler: ({ city, unit }) =>
    Effect.as(Console.log(`  get_weather(${city}, ${unit})`), { city, unit, temperature: unit === "celsius" ? 21 : 70 })
})

const time = Tool.make({
  name: "get_time",
  description: "The time in a time zone",
  parameters: Schema.Struct({ zone: Schema.Literal("UTC", "CET") }),
  handler: ({ zone }) => Effect.as(Console.log(`  get_time(${zone})`), `12:00 ${zone}`) // a string is sent as is
})

const program = Effect.gen(function*() {
  const assistant = yield* Assistants.create({ model: "gpt-4o", name: "Tools example" })
  // the scripted model calls every tool whose name the latest message mentions
  const thread = yield* Threads.create({
    messages: [{ role: "user", content: "Use get_weather and get_time for Paris, please." }]
  })
  yield* Console.log("tool calls:")
  const run = yield* Runs.createAndRunTools({ threadId: thread.id, assistantId: assistant.id, tools: [weather, time] })
  yield* Runs.ensureCompleted(run)

  const replies = yield* Messages.list({ threadId: thread.id, runId: run.id })
  for (const message of replies.data) {
    for (const part of message.content) {
      if (part.type === "text") yield* Console.log(`assistant: ${part.text.value}`)
    }
  }
})

const Live = Layer.unwrapEffect(
  Effect.map(AssistantsServer.AssistantsServer, ({ url }) => AssistantsLive.layer({ baseUrl: url }))
).pipe(Layer.provide(NodeTransport.layer))

NodeRuntime.runMain(program.pipe(Effect.provide(Live), Effect.provide(AssistantsServer.layer())))
