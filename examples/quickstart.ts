/**
 * The quickstart: `npm start`.
 *
 * Starts the embedded Assistants-compatible server on a random loopback port (or, when both
 * OPENAI_BASE_URL and OPENAI_API_KEY are set, talks to that server instead), then creates an
 * assistant with one function tool, a thread and a user message, starts a run, prints every
 * status transition as it happens, answers the tool call, prints the reply, and deletes what it
 * created.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import { Assistants, AssistantsLive, Messages, Runs, Threads, Tool } from "effect-assistants"
import { AssistantsServer } from "effect-assistants-server"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

const getWeather = Tool.make({
  name: "get_weather",
  description: "The current weather in a city",
  parameters: Schema.Struct({ city: Schema.String }),
  handler: ({ city }) => Effect.succeed({ city, forecast: "sunny", celsius: 21 })
})

/** Prints each transition as it happens and returns the run where the watch stopped. */
const watchAndPrint = (threadId: string, runId: string) =>
  Runs.watch({ threadId, runId, deadline: "30 seconds" }).pipe(
    Stream.tap(({ current, previous }) =>
      Console.log(`  run status: ${Option.match(previous, { onNone: () => "", onSome: (p) => `${p} -> ` })}${current}`)
    ),
    Stream.runLast,
    Effect.flatMap(Effect.orElseFail(() => new Error("the watch saw no status")))
  )

const program = Effect.gen(function*() {
  const assistant = yield* Assistants.create({
    model: "gpt-4o",
    name: "Weather helper",
    instructions: "Answer weather questions with the get_weather tool.",
    tools: [getWeather.definition]
  })
  yield* Console.log(`created assistant ${assistant.id}`)
  const thread = yield* Threads.create({
    messages: [{ role: "user", content: "What does get_weather say about Paris today?" }]
  })
  yield* Console.log(`created thread ${thread.id}`)

  const created = yield* Runs.create({ threadId: thread.id, assistantId: assistant.id })
  yield* Console.log(`created run ${created.id}`)
  let run = (yield* watchAndPrint(thread.id, created.id)).run

  while (run.status === "requires_action" && run.requiredAction !== null) {
    const calls = run.requiredAction.submitToolOutputs.toolCalls
    const toolOutputs = yield* Effect.forEach(calls, (call) =>
      Effect.gen(function*() {
        const result = getWeather.call(call.function.arguments)
        const output = typeof result === "string" ? result : yield* result
        yield* Console.log(`  tool call ${call.function.name}(${call.function.arguments}) -> ${output}`)
        return { toolCallId: call.id, output }
      }))
    yield* Runs.submitToolOutputs({ threadId: thread.id, runId: run.id, toolOutputs })
    run = (yield* watchAndPrint(thread.id, run.id)).run
  }
  yield* Runs.ensureCompleted(run)

  const replies = yield* Messages.list({ threadId: thread.id, runId: run.id })
  for (const message of replies.data) {
    for (const part of message.content) {
      if (part.type === "text") yield* Console.log(`assistant: ${part.text.value}`)
    }
  }
  if (run.usage) yield* Console.log(`usage: ${run.usage.totalTokens} tokens`)

  yield* Threads.delete({ threadId: thread.id })
  yield* Assistants.delete({ assistantId: assistant.id })
  yield* Console.log("deleted the thread and the assistant")
})

/** The client: against OPENAI_BASE_URL when it and OPENAI_API_KEY are set, else the embedded server. */
const ClientLive = Layer.unwrapEffect(
  Effect.gen(function*(): Effect.fn.Return<
    Layer.Layer<AssistantsLive.Services, ConfigError.ConfigError | HttpServerError.ServeError, HttpClient.HttpClient>,
    ConfigError.ConfigError
  > {
    const external = yield* Config.all([
      Config.option(Config.string("OPENAI_BASE_URL")),
      Config.option(Config.string("OPENAI_API_KEY"))
    ])
    if (Option.isSome(external[0]) && Option.isSome(external[1])) {
      yield* Console.log(`using ${external[0].value}`)
      return AssistantsLive.layerConfig()
    }
    return Layer.unwrapEffect(
      Effect.map(AssistantsServer.AssistantsServer, ({ url }) =>
        Layer.provide(
          AssistantsLive.layer({ baseUrl: url }),
          Layer.effectDiscard(Console.log(`started the embedded server at ${url}`))
        ))
    ).pipe(Layer.provide(AssistantsServer.layer()))
  })
).pipe(Layer.provide(NodeHttpClient.layerUndici))

NodeRuntime.runMain(program.pipe(Effect.provide(ClientLive)))
