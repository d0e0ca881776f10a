/**
 * `Runs.watch` piped into a pipeline: two runs watched at once, their transitions merged into
 * one stream, timed, printed as they happen, and folded into each run's last status.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Assistants, AssistantsLive, Runs, Threads } from "effect-assistants"
import { AssistantsServer } from "effect-assistants-server"
import * as NodeTransport from "effect-assistants/node"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

const program = Effect.gen(function*() {
  const assistant = yield* Assistants.create({ model: "gpt-4o", name: "Watch example" })
  const startRun = (content: string) =>
    Effect.flatMap(
      Threads.create({ messages: [{ role: "user", content }] }),
      (thread) => Runs.create({ threadId: thread.id, assistantId: assistant.id })
    )
  // the scripted model replies to the first and fails the second
  const runs = { hello: yield* startRun("Hello!"), failing: yield* startRun("Please [fail].") }

  const started = yield* Clock.currentTimeMillis
  const watchOne = (label: keyof typeof runs) =>
    Runs.watch({
      threadId: runs[label].threadId,
      runId: runs[label].id,
      interval: "100 millis",
      deadline: "30 seconds"
    })
      .pipe(Stream.map((transition) => ({ label, ...transition })))

  const last = yield* Stream.merge(watchOne("hello"), watchOne("failing")).pipe(
    Stream.mapEffect((t) => Effect.map(Clock.currentTimeMillis, (now) => ({ ...t, ms: now - started }))),
    Stream.tap(({ current, label, ms, previous }) =>
      Console.log(`${String(ms).padStart(5)} ms  ${label}: ${Option.getOrElse(previous, () => "(new)")} -> ${current}`)
    ),
    Stream.runFold({} as Record<string, string>, (acc, { label, run }) => ({
      ...acc,
      [label]: run.lastError ? `${run.status} (${run.lastError.code})` : run.status
    }))
  )
  yield* Console.log(`last statuses: ${JSON.stringify(last)}`)
})

const Live = Layer.unwrapEffect(
  Effect.map(AssistantsServer.AssistantsServer, ({ url }) => AssistantsLive.layer({ baseUrl: url }))
).pipe(Layer.provide(NodeTransport.layer))

NodeRuntime.runMain(program.pipe(Effect.provide(Live), Effect.provide(AssistantsServer.layer())))
