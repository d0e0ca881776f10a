/**
 * Matching errors with `catchTags`: every failure is a tagged class, the HTTP ones with the
 * server's status, request id and message, the others saying whether anything was sent.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Assistants, type AssistantsError, AssistantsLive, Runs, Threads } from "effect-assistants"
import { AssistantsServer } from "effect-assistants-server"
import * as NodeTransport from "effect-assistants/node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

/** Runs `attempt` and prints how it ended. */
const report = <A, R>(
  what: string,
  attempt: Effect.Effect<A, AssistantsError.AssistantsError | AssistantsError.RunOutcomeError, R>
) =>
  attempt.pipe(
    Effect.as("succeeded"),
    Effect.catchTags({
      NotFoundError: (e) => Effect.succeed(`NotFoundError ${e.status} "${e.message}" (${e.requestId})`),
      InvalidRequestError: (e) => Effect.succeed(`InvalidRequestError on ${e.param}, outcome ${e.outcome}`),
      AuthenticationError: (e) => Effect.succeed(`AuthenticationError ${e.status} "${e.message}"`),
      RunFailedError: (e) => Effect.succeed(`RunFailedError ${e.lastError?.code}: ${e.lastError?.message}`)
    }),
    Effect.flatMap((outcome) => Console.log(`${what}: ${outcome}`))
  )

/** The client with `apiKey`, pointed at the embedded server. */
const clientWith = (apiKey: string) =>
  Layer.unwrapEffect(
    Effect.map(AssistantsServer.AssistantsServer, ({ url }) =>
      AssistantsLive.layer({ apiKey: Redacted.make(apiKey), baseUrl: url }))
  ).pipe(Layer.provide(NodeTransport.layer))

const program = Effect.gen(function*() {
  const assistant = yield* Assistants.create({ model: "gpt-4o", name: "Errors example" })
  // the scripted model fails a run whose latest message says [fail]
  const thread = yield* Threads.create({ messages: [{ role: "user", content: "Please [fail]." }] })

  yield* report("a missing assistant", Assistants.get({ assistantId: "asst_missing" }))
  yield* report("an id that is not one path segment", Assistants.get({ assistantId: "../threads" }))
  yield* report("a wrong API key", Assistants.list().pipe(Effect.provide(clientWith("sk-wrong"))))
  yield* report(
    "a run that fails",
    Runs.createAndPoll({ threadId: thread.id, assistantId: assistant.id }).pipe(Effect.flatMap(Runs.ensureCompleted))
  )
}).pipe(Effect.provide(clientWith("sk-right")))

NodeRuntime.runMain(program.pipe(Effect.provide(AssistantsServer.layer({ apiKeys: ["sk-right"] }))))
