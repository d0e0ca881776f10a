/**
 * The server package in your own tests: `AssistantsServer.layer()` starts a fresh
 * Assistants-compatible server on a free loopback port for a suite, with fast timings, and the
 * client under test points at it. Run with `vitest`.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Assistants, AssistantsLive, Messages, Runs, Threads } from "effect-assistants"
import { AssistantsServer } from "effect-assistants-server"
import * as NodeTransport from "effect-assistants/node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const Server = AssistantsServer.layer({ timings: { queued: "5 millis", step: "10 millis", pollAfterMillis: 5 } })

const Client = Layer.unwrapEffect(
  Effect.map(AssistantsServer.AssistantsServer, ({ url }) => AssistantsLive.layer({ baseUrl: url }))
).pipe(Layer.provide(NodeTransport.layer))

// `excludeTestServices`: the server's runs advance on the real clock, not on a TestClock
layer(Client.pipe(Layer.provideMerge(Server)), { excludeTestServices: true })("a reply to a user", (it) => {
  it.effect("a run completes with the scripted model's answer", () =>
    Effect.gen(function*() {
      const assistant = yield* Assistants.create({ model: "gpt-4o", name: "Test" })
      const thread = yield* Threads.create({ messages: [{ role: "user", content: "ping" }] })

      const run = yield* Runs.createAndPoll({ threadId: thread.id, assistantId: assistant.id })
      assert.strictEqual(run.status, "completed")

      const page = yield* Messages.list({ threadId: thread.id, runId: run.id })
      const part = page.data[0]?.content[0]
      assert.deepStrictEqual(part?.type === "text" ? part.text.value : undefined, "You said: ping")
    }))

  it.effect("an unknown thread is a NotFoundError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Threads.get({ threadId: "thread_missing" }))
      assert.strictEqual(error._tag, "NotFoundError")
    }))
})

describe("a server per test", () => {
  it.live("each test may start its own, with its own options", () =>
    Effect.gen(function*() {
      const { url } = yield* AssistantsServer.AssistantsServer
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/)
    }).pipe(Effect.provide(AssistantsServer.layer({ apiKeys: ["sk-test"] }))))
})
