import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { AssistantsServer, RunEngine } from "effect-assistants-server"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { Assistants, Messages, type Run, Runs, RunSteps, Threads, Tool } from "../../src/index.js"
import * as NodeTransport from "../../src/layers/NodeTransport.js"
import * as Contract from "../utils/Contract.js"
import * as Harness from "../utils/Harness.js"
import { describeStores, describeStoresEach, type StoreKind } from "./stores.js"

const weather = Tool.make({
  name: "get_weather",
  description: "Weather in a city",
  parameters: Schema.Struct({ city: Schema.String, days: Schema.optional(Schema.Int) }),
  handler: ({ city }) => Effect.succeed(`sunny in ${city}`)
})
const time = Tool.make({
  name: "get_time",
  parameters: Schema.Struct({ zone: Schema.Literal("UTC", "CET") }),
  handler: ({ zone }) => Effect.succeed({ zone, time: "12:00" })
})

const transports = [["FetchHttpClient", FetchHttpClient.layer], ["NodeTransport", NodeTransport.layer]] as const

/** Runs `body` against a fresh server on a fresh store, then checks every response it saw against the contract. */
const liveOver = (transport: Layer.Layer<HttpClient.HttpClient>, store: StoreKind) =>
<A, E>(
  body: Effect.Effect<A, E, Harness.Services>,
  options: Parameters<typeof Harness.make>[0] = {}
) => {
  const harness = Harness.make({ transport, ...options, server: { ...options.server, database: store.database() } })
  return Effect.gen(function*() {
    const result = yield* body
    assert.deepStrictEqual(harness.violations, [])
    return result
  }).pipe(Effect.provide(harness.layer))
}

const newAssistant = (tools: ReadonlyArray<Tool.Any> = []) =>
  Assistants.create({ model: "gpt-4o", name: "test", tools: tools.map((t) => t.definition) })

/**
 * The client-facing suites run over both transports: the portable one and the Node one we ship,
 * both over memory and the Node one over each database (the transport is the client's, the store
 * the server's: crossing them all adds time and no case).
 */
const transportsOver = (store: StoreKind) => store.name === "memory" ? transports : transports.slice(1)

describeStoresEach(transportsOver)("over %s", (store, _, transport) => {
  const live = liveOver(transport, store)

  describe("assistants", () => {
    it.live("create, get, modify, list, delete", () =>
      live(Effect.gen(function*() {
        const created = yield* Assistants.create({
          model: "gpt-4o",
          name: "Tutor",
          instructions: "Teach.",
          metadata: { team: "a" },
          tools: [weather.definition, { type: "code_interpreter" }],
          toolResources: { codeInterpreter: { fileIds: ["file_1"] } }
        })
        assert.match(created.id, /^asst_/)
        assert.strictEqual(created.name, "Tutor")
        const got = yield* Assistants.get({ assistantId: created.id })
        assert.deepStrictEqual(got, created)
        const modified = yield* Assistants.modify({ assistantId: created.id, name: "Tutor 2", metadata: { team: "b" } })
        assert.strictEqual(modified.name, "Tutor 2")
        assert.strictEqual(modified.instructions, "Teach.")
        assert.deepStrictEqual(modified.metadata, { team: "b" })
        const page = yield* Assistants.list()
        assert.deepStrictEqual(page.data.map((a) => a.id), [created.id])
        const deleted = yield* Assistants.delete({ assistantId: created.id })
        assert.deepStrictEqual(deleted, { id: created.id, object: "assistant.deleted", deleted: true })
        const error = yield* Effect.flip(Assistants.get({ assistantId: created.id }))
        assert.strictEqual(error._tag, "NotFoundError")
        assert.strictEqual(error.message, `No assistant found with id '${created.id}'.`)
      })))

    it.live("pagination both ways: limit, order, after, before, first/last ids, has_more", () =>
      live(Effect.gen(function*() {
        const ids: Array<string> = []
        for (let i = 0; i < 7; i++) ids.push((yield* Assistants.create({ model: "m", name: `a${i}` })).id)
        const desc = [...ids].reverse()
        const first = yield* Assistants.list({ limit: 3 })
        assert.deepStrictEqual(first.data.map((a) => a.id), desc.slice(0, 3))
        assert.strictEqual(first.firstId, desc[0])
        assert.strictEqual(first.lastId, desc[2])
        assert.isTrue(first.hasMore)
        const second = yield* Assistants.list({ limit: 3, after: first.lastId! })
        assert.deepStrictEqual(second.data.map((a) => a.id), desc.slice(3, 6))
        const third = yield* Assistants.list({ limit: 3, after: second.lastId! })
        assert.deepStrictEqual(third.data.map((a) => a.id), desc.slice(6))
        assert.isFalse(third.hasMore)
        const asc = yield* Assistants.list({ limit: 4, order: "asc", after: ids[1] })
        assert.deepStrictEqual(asc.data.map((a) => a.id), ids.slice(2, 6))
        assert.isTrue(asc.hasMore)
        const before = yield* Assistants.list({ limit: 2, order: "asc", before: ids[5] })
        assert.deepStrictEqual(before.data.map((a) => a.id), ids.slice(3, 5))
        assert.isTrue(before.hasMore)
        const between = yield* Assistants.list({ order: "asc", after: ids[1], before: ids[4] })
        assert.deepStrictEqual(between.data.map((a) => a.id), ids.slice(2, 4))
        const defaults = yield* Assistants.list()
        assert.strictEqual(defaults.data.length, 7)
        const empty = yield* Assistants.list({ after: ids[0] })
        assert.deepStrictEqual([empty.data.length, empty.firstId, empty.lastId, empty.hasMore], [0, null, null, false])
        // a deleted cursor keeps its place
        yield* Assistants.delete({ assistantId: ids[3] })
        const afterDeleted = yield* Assistants.list({ order: "asc", after: ids[3], limit: 2 })
        assert.deepStrictEqual(afterDeleted.data.map((a) => a.id), ids.slice(4, 6))
      })))

    it.live("listAll over more than three pages, in both orders", () =>
      live(Effect.gen(function*() {
        const ids: Array<string> = []
        for (let i = 0; i < 11; i++) ids.push((yield* Assistants.create({ model: "m" })).id)
        const asc = yield* Stream.runCollect(Assistants.listAll({ order: "asc", limit: 3 }))
        assert.deepStrictEqual(Chunk.toArray(asc).map((a) => a.id), ids)
        const desc = yield* Stream.runCollect(Assistants.listAll({ order: "desc", limit: 3 }))
        assert.deepStrictEqual(Chunk.toArray(desc).map((a) => a.id), [...ids].reverse())
      })))
  })

  describe("threads and messages", () => {
    it.live("thread and message CRUD, lists filtered by run", () =>
      live(Effect.gen(function*() {
        const thread = yield* Threads.create({
          messages: [{ role: "user", content: "first" }, {
            role: "assistant",
            content: [{ type: "text", text: "second" }]
          }],
          metadata: { k: "v" }
        })
        assert.match(thread.id, /^thread_/)
        assert.deepStrictEqual(yield* Threads.get({ threadId: thread.id }), thread)
        const modified = yield* Threads.modify({ threadId: thread.id, metadata: { k: "w" } })
        assert.deepStrictEqual(modified.metadata, { k: "w" })
        const message = yield* Messages.create({
          threadId: thread.id,
          role: "user",
          content: [{ type: "image_url", imageUrl: { url: "https://example.com/a.png", detail: "low" } }, {
            type: "text",
            text: "third"
          }],
          metadata: { n: "3" }
        })
        assert.match(message.id, /^msg_/)
        assert.strictEqual(message.content[0].type, "image_url")
        const page = yield* Messages.list({ threadId: thread.id, order: "asc" })
        assert.deepStrictEqual(page.data.map((m) => m.role), ["user", "assistant", "user"])
        assert.strictEqual((yield* Messages.get({ threadId: thread.id, messageId: message.id })).id, message.id)
        assert.deepStrictEqual(
          (yield* Messages.modify({ threadId: thread.id, messageId: message.id, metadata: { n: "4" } })).metadata,
          { n: "4" }
        )
        const all = yield* Stream.runCollect(Messages.listAll({ threadId: thread.id, limit: 1 }))
        assert.strictEqual(Chunk.size(all), 3)
        const deleted = yield* Messages.delete({ threadId: thread.id, messageId: message.id })
        assert.strictEqual(deleted.object, "thread.message.deleted")
        assert.strictEqual(
          (yield* Effect.flip(Messages.get({ threadId: thread.id, messageId: message.id })))._tag,
          "NotFoundError"
        )
        const byRun = yield* Messages.list({ threadId: thread.id, runId: "run_00000000aaaaaaaaaaaaaaaa" })
        assert.strictEqual(byRun.data.length, 0)
        assert.strictEqual((yield* Threads.delete({ threadId: thread.id })).deleted, true)
        assert.strictEqual((yield* Effect.flip(Threads.get({ threadId: thread.id })))._tag, "NotFoundError")
        assert.strictEqual((yield* Effect.flip(Messages.list({ threadId: thread.id })))._tag, "NotFoundError")
      })))
  })

  describe("runs", () => {
    it.live("a tool-calling run: createAndPoll, submitToolOutputsAndPoll, steps, reply, usage", () =>
      live(Effect.gen(function*() {
        const assistant = yield* newAssistant([weather])
        const thread = yield* Threads.create({ messages: [{ role: "user", content: "use get_weather please" }] })
        const waiting = yield* Runs.createAndPoll({ threadId: thread.id, assistantId: assistant.id })
        assert.strictEqual(waiting.status, "requires_action")
        const calls = waiting.requiredAction!.submitToolOutputs.toolCalls
        assert.strictEqual(calls.length, 1)
        assert.strictEqual(calls[0].function.name, "get_weather")
        assert.match(calls[0].id, /^call_/)
        assert.deepStrictEqual(JSON.parse(calls[0].function.arguments), { city: "sample city", days: 1 })
        const done = yield* Runs.submitToolOutputsAndPoll({
          threadId: thread.id,
          runId: waiting.id,
          toolOutputs: [{ toolCallId: calls[0].id, output: "rainy" }]
        })
        assert.strictEqual(done.status, "completed")
        assert.isNotNull(done.completedAt)
        assert.isNotNull(done.startedAt)
        assert.isAbove(done.usage!.totalTokens, 0)
        const steps = yield* RunSteps.list({ threadId: thread.id, runId: done.id, order: "asc" })
        assert.deepStrictEqual(steps.data.map((s) => [s.type, s.status]), [["tool_calls", "completed"], [
          "message_creation",
          "completed"
        ]])
        const toolStep = steps.data[0].stepDetails
        assert.strictEqual(
          toolStep.type === "tool_calls" && toolStep.toolCalls[0].type === "function" &&
            toolStep.toolCalls[0].function.output,
          "rainy"
        )
        const step = yield* RunSteps.get({
          threadId: thread.id,
          runId: done.id,
          stepId: steps.data[1].id,
          include: ["step_details.tool_calls[*].file_search.results[*].content"]
        })
        assert.strictEqual(step.id, steps.data[1].id)
        const replies = yield* Messages.list({ threadId: thread.id, runId: done.id })
        assert.strictEqual(replies.data.length, 1)
        const reply = replies.data[0]
        assert.strictEqual(reply.assistantId, assistant.id)
        assert.strictEqual(reply.runId, done.id)
        assert.deepStrictEqual(reply.content[0], {
          type: "text",
          text: { value: "get_weather returned rainy", annotations: [] }
        })
        const runs = yield* Runs.list({ threadId: thread.id })
        assert.deepStrictEqual(runs.data.map((r) => r.id), [done.id])
        const modified = yield* Runs.modify({ threadId: thread.id, runId: done.id, metadata: { seen: "yes" } })
        assert.deepStrictEqual(modified.metadata, { seen: "yes" })
      })))

    it.live("runTools: parallel calls answered by the declared tools, to completion", () =>
      live(Effect.gen(function*() {
        const assistant = yield* newAssistant()
        const thread = yield* Threads.create({ messages: [{ role: "user", content: "call get_weather and get_time" }] })
        const events = yield* Stream.runCollect(
          Runs.createAndRunToolsEvents({ threadId: thread.id, assistantId: assistant.id, tools: [weather, time] })
        )
        const calls = Chunk.toArray(events).flatMap((
          e
        ) => (e._tag === "ToolCall" ? [[e.call.function.name, e.output]] : []))
        assert.deepStrictEqual(calls, [["get_weather", "sunny in sample city"], [
          "get_time",
          "{\"zone\":\"UTC\",\"time\":\"12:00\"}"
        ]])
        const statuses = Chunk.toArray(events).flatMap((e) => (e._tag === "Transition" ? [e.transition.current] : []))
        assert.strictEqual(statuses[statuses.length - 1], "completed")
        assert.include(statuses, "requires_action")
        // Runs.runTools on a run created separately, with the definitions on the run
        const second = yield* Threads.create({ messages: [{ role: "user", content: "get_time now" }] })
        const created = yield* Runs.create({ threadId: second.id, assistantId: assistant.id, tools: [time.definition] })
        const finished = yield* Runs.runTools({ threadId: second.id, runId: created.id, tools: [weather, time] })
        assert.strictEqual(finished.status, "completed")
        const answer = yield* Messages.list({ threadId: second.id, runId: created.id })
        const text = answer.data[0].content[0]
        assert.strictEqual(
          text.type === "text" && text.text.value,
          "get_time returned {\"zone\":\"UTC\",\"time\":\"12:00\"}"
        )
        const run = yield* Runs.createAndPoll({ threadId: thread.id, assistantId: assistant.id })
        assert.strictEqual(run.status, "completed") // no tools on this run: a plain reply
        const completed = yield* Runs.ensureCompleted(run)
        assert.strictEqual(completed.id, run.id)
      })))

    it.live("createAndRun and createAndRunPoll", () =>
      live(Effect.gen(function*() {
        const assistant = yield* newAssistant()
        const run = yield* Threads.createAndRun({
          assistantId: assistant.id,
          thread: { messages: [{ role: "user", content: "hi" }] }
        })
        assert.strictEqual(run.status, "queued")
        const done = yield* Threads.createAndRunPoll({
          assistantId: assistant.id,
          thread: { messages: [{ role: "user", content: "hello" }] }
        })
        assert.strictEqual(done.status, "completed")
        const reply = yield* Messages.list({ threadId: done.threadId, runId: done.id })
        const part = reply.data[0].content[0]
        assert.strictEqual(part.type === "text" && part.text.value, "You said: hello")
      })))

    it.live("cancel: requires_action -> cancelling -> cancelled; a finished run cannot be cancelled", () =>
      live(Effect.gen(function*() {
        const assistant = yield* newAssistant([weather])
        const thread = yield* Threads.create({ messages: [{ role: "user", content: "get_weather" }] })
        const waiting = yield* Runs.createAndPoll({ threadId: thread.id, assistantId: assistant.id })
        const cancelling = yield* Runs.cancel({ threadId: thread.id, runId: waiting.id })
        assert.strictEqual(cancelling.status, "cancelling")
        const seen = yield* Stream.runCollect(Runs.watch({ threadId: thread.id, runId: waiting.id }))
        const last = Chunk.unsafeLast(seen).run
        assert.strictEqual(last.status, "cancelled")
        assert.isNotNull(last.cancelledAt)
        const error = yield* Effect.flip(Runs.cancel({ threadId: thread.id, runId: waiting.id }))
        assert.strictEqual(error._tag, "BadRequestError")
        assert.strictEqual((yield* Effect.flip(Runs.ensureCompleted(last)))._tag, "RunCancelledError")
        const steps = yield* RunSteps.list({ threadId: thread.id, runId: waiting.id })
        assert.strictEqual(steps.data[0].status, "cancelled")
      })))

    it.live("failed and incomplete runs map to their errors", () =>
      live(
        Effect.gen(function*() {
          const assistant = yield* newAssistant([weather])
          const failed = yield* Threads.createAndRunPoll({
            assistantId: assistant.id,
            thread: { messages: [{ role: "user", content: "[fail]" }] }
          })
          assert.strictEqual(failed.status, "failed")
          const failure = yield* Effect.flip(Runs.ensureCompleted(failed))
          assert.strictEqual(failure._tag, "RunFailedError")
          assert.strictEqual(failure._tag === "RunFailedError" && failure.lastError?.code, "server_error")
          const incomplete = yield* Threads.createAndRunPoll({
            assistantId: assistant.id,
            thread: { messages: [{ role: "user", content: "[incomplete]" }] }
          })
          assert.strictEqual(incomplete.status, "incomplete")
          assert.strictEqual(incomplete.incompleteDetails?.reason, "max_completion_tokens")
          const incompleteError = yield* Effect.flip(Runs.ensureCompleted(incomplete))
          assert.strictEqual(incompleteError._tag, "RunIncompleteError")
        })
      ))
  })

  describe("errors from the server", () => {
    it.live("404 for every kind of unknown id", () =>
      live(Effect.gen(function*() {
        const thread = yield* Threads.create()
        const missing = "x_00000000aaaaaaaaaaaaaaaa"
        const cases = [
          [Assistants.get({ assistantId: "asst_nope" }), "No assistant found with id 'asst_nope'."],
          [Threads.get({ threadId: "thread_nope" }), "No thread found with id 'thread_nope'."],
          [Messages.get({ threadId: thread.id, messageId: "msg_nope" }), "No message found with id 'msg_nope'."],
          [Runs.get({ threadId: thread.id, runId: "run_nope" }), "No run found with id 'run_nope'."],
          [RunSteps.list({ threadId: thread.id, runId: "run_nope" }), "No run found with id 'run_nope'."],
          [Runs.create({ threadId: thread.id, assistantId: "asst_nope" }), "No assistant found with id 'asst_nope'."],
          [Messages.list({ threadId: "thread_nope", after: missing }), "No thread found with id 'thread_nope'."]
        ] as const
        for (const [call, message] of cases) {
          const error = yield* Effect.flip(
            call as Effect.Effect<unknown, { _tag: string; message: string }, Harness.Services>
          )
          assert.strictEqual(error._tag, "NotFoundError")
          assert.strictEqual(error.message, message)
        }
      })))

    it.live("400s the client cannot prevent: an active run, tool outputs in the wrong state or for the wrong calls", () =>
      live(Effect.gen(function*() {
        const assistant = yield* newAssistant([weather])
        const thread = yield* Threads.create({ messages: [{ role: "user", content: "get_weather" }] })
        const waiting = yield* Runs.createAndPoll({ threadId: thread.id, assistantId: assistant.id })
        const second = yield* Effect.flip(Runs.create({ threadId: thread.id, assistantId: assistant.id }))
        assert.strictEqual(second._tag, "BadRequestError")
        assert.include(second.message, "already has an active run")
        const message = yield* Effect.flip(Messages.create({ threadId: thread.id, role: "user", content: "more" }))
        assert.strictEqual(message._tag, "BadRequestError")
        const wrong = yield* Effect.flip(
          Runs.submitToolOutputs({
            threadId: thread.id,
            runId: waiting.id,
            toolOutputs: [{ toolCallId: "call_other", output: "x" }]
          })
        )
        assert.strictEqual(wrong._tag, "BadRequestError")
        assert.strictEqual(wrong._tag === "BadRequestError" && wrong.param, "tool_outputs")
        const missing = yield* Effect.flip(
          Runs.submitToolOutputs({ threadId: thread.id, runId: waiting.id, toolOutputs: [] })
        )
        assert.strictEqual(missing._tag, "BadRequestError")
        // the run was not disturbed by the bad submissions
        const still = yield* Runs.get({ threadId: thread.id, runId: waiting.id })
        assert.strictEqual(still.status, "requires_action")
      })))

    it.live("401 when keys are configured and the token is missing or wrong", () =>
      Effect.gen(function*() {
        for (const apiKey of [undefined, Redacted.make("sk-wrong")]) {
          const harness = Harness.make({
            transport,
            server: { apiKeys: ["sk-right"], database: store.database() },
            ...(apiKey ? { apiKey } : {})
          })
          const error = yield* Effect.flip(Threads.create()).pipe(Effect.provide(harness.layer))
          assert.strictEqual(error._tag, "AuthenticationError")
          assert.deepStrictEqual(harness.violations, [])
        }
        const ok = Harness.make({
          transport,
          server: { apiKeys: ["sk-right"], database: store.database() },
          apiKey: Redacted.make("sk-right")
        })
        const thread = yield* Threads.create().pipe(Effect.provide(ok.layer))
        assert.match(thread.id, /^thread_/)
      }))
  })
})

describeStores("raw HTTP against the server", (store) => {
  const live = liveOver(FetchHttpClient.layer, store)
  const raw = (path: string, init: RequestInit & { beta?: boolean } = {}) =>
    Effect.gen(function*() {
      const { url } = yield* AssistantsServer.AssistantsServer
      return yield* Effect.promise(async () => {
        const response = await fetch(`${url}${path}`, {
          ...init,
          headers: {
            ...(init.beta === false ? {} : { "OpenAI-Beta": "assistants=v2" }),
            "content-type": "application/json",
            ...(init.headers as Record<string, string> | undefined)
          }
        })
        return {
          status: response.status,
          requestId: response.headers.get("x-request-id"),
          body: await response.json() as any
        }
      }).pipe(Effect.tap((r) =>
        assert.strictEqual(Contract.check(init.method ?? "GET", path.split("?")[0], r.status, r.body), undefined)
      ))
    })

  it.live("400 naming the bad param for invalid bodies and queries; state untouched", () =>
    live(Effect.gen(function*() {
      const thread = yield* Threads.create({ metadata: { keep: "me" } })
      const assistant = yield* newAssistant()
      const cases: Array<[string, RequestInit, string | null]> = [
        ["/threads", { method: "POST", body: "{not json" }, null],
        ["/threads", { method: "POST", body: "[1,2]" }, null],
        ["/assistants", { method: "POST", body: "{}" }, "model"],
        ["/assistants", { method: "POST", body: JSON.stringify({ model: 3 }) }, "model"],
        ["/assistants", { method: "POST", body: JSON.stringify({ model: "m", temperature: 9 }) }, "temperature"],
        ["/assistants", { method: "POST", body: JSON.stringify({ model: "m", surprise: true }) }, "surprise"],
        [`/threads/${thread.id}`, {
          method: "POST",
          body: JSON.stringify({ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) })
        }, "metadata"],
        [
          `/threads/${thread.id}`,
          { method: "POST", body: JSON.stringify({ metadata: { ["k".repeat(65)]: "v" } }) },
          "metadata"
        ],
        [
          `/threads/${thread.id}`,
          { method: "POST", body: JSON.stringify({ metadata: { k: "v".repeat(513) } }) },
          "metadata.k"
        ],
        [
          `/threads/${thread.id}/messages`,
          { method: "POST", body: JSON.stringify({ role: "system", content: "x" }) },
          "role"
        ],
        [`/threads/${thread.id}/runs`, { method: "POST", body: JSON.stringify({ assistant_id: 42 }) }, "assistant_id"],
        [`/threads/${thread.id}/runs?include[]=bogus`, {
          method: "POST",
          body: JSON.stringify({ assistant_id: assistant.id })
        }, "include[]"],
        ["/assistants?limit=0", {}, "limit"],
        ["/assistants?limit=abc", {}, "limit"],
        ["/assistants?order=sideways", {}, "order"],
        ["/assistants?after=nope", {}, "after"]
      ]
      for (const [path, init, param] of cases) {
        const response = yield* raw(path, init)
        assert.strictEqual(response.status, 400, `${path} ${init.body}`)
        assert.strictEqual(response.body.error.type, "invalid_request_error")
        assert.strictEqual(response.body.error.param, param, `${path} ${init.body}: ${response.body.error.message}`)
        assert.match(response.requestId ?? "", /^req_/)
      }
      assert.deepStrictEqual((yield* Threads.get({ threadId: thread.id })).metadata, { keep: "me" })
      assert.strictEqual((yield* Runs.list({ threadId: thread.id })).data.length, 0)
    })))

  it.live("400 without the OpenAI-Beta header; 404 for unknown routes", () =>
    live(Effect.gen(function*() {
      const noBeta = yield* raw("/assistants", { beta: false })
      assert.strictEqual(noBeta.status, 400)
      assert.include(noBeta.body.error.message, "OpenAI-Beta")
      const v1 = yield* raw("/assistants", { beta: false, headers: { "OpenAI-Beta": "assistants=v1" } })
      assert.strictEqual(v1.status, 400)
      const unknown = yield* raw("/nowhere")
      assert.strictEqual(unknown.status, 404)
      assert.strictEqual(unknown.body.error.type, "invalid_request_error")
      const ok = yield* raw("/assistants")
      assert.strictEqual(ok.status, 200)
      assert.match(ok.requestId ?? "", /^req_/)
    })))
})

// memory only: the test's clock drives the whole server, and over a database that includes the
// workflow engine's runner (@effect/cluster: shard locks, storage polls, clock messages), which then
// waits on timers only the test moves, so no run there could be driven deterministically
describe("the server's clock", () => {
  // the run is driven by the test's clock: no step takes time, and the lifetime passes when the
  // test moves the clock; the test waits on the engine's events, never on the wall clock
  it.scoped("a run nobody answers expires at expires_at: requires_action -> expired, RunExpiredError", () =>
    Effect.gen(function*() {
      const engine = yield* RunEngine.RunEngine
      const events = yield* engine.subscribe
      const assistant = yield* newAssistant([weather])
      const thread = yield* Threads.create({ messages: [{ role: "user", content: "get_weather" }] })
      const run = yield* Runs.create({ threadId: thread.id, assistantId: assistant.id })
      const reached = (status: Run.Run["status"]) =>
        events.pipe(
          Stream.filter((e) => e.event === `thread.run.${status}` && e.data.id === run.id),
          Stream.runHead
        )
      yield* reached("requires_action")
      const waiting = yield* Runs.get({ threadId: thread.id, runId: run.id })
      assert.strictEqual(waiting.status, "requires_action")
      assert.strictEqual(waiting.expiresAt, 1)
      // just before expires_at it still waits; at expires_at it expires
      yield* TestClock.adjust("999 millis")
      assert.strictEqual((yield* Runs.get({ threadId: thread.id, runId: run.id })).status, "requires_action")
      yield* TestClock.adjust("1 millis")
      yield* reached("expired")
      const expired = yield* Runs.get({ threadId: thread.id, runId: run.id })
      assert.strictEqual(expired.status, "expired")
      assert.strictEqual((yield* Effect.flip(Runs.ensureCompleted(expired)))._tag, "RunExpiredError")
    }).pipe(
      Effect.provide(
        Harness.make({
          server: {
            timings: { queued: "0 millis", step: "0 millis", cancelling: "0 millis", expiresAfter: "1 second" }
          }
        }).layer
      )
    ))

  // the test's clock: the server reads the time from it, and nothing here waits on it
  it.scoped("expires_at is the lifetime after creation rounded up, never sooner", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(12_950)
      const assistant = yield* newAssistant()
      const thread = yield* Threads.create()
      const run = yield* Runs.create({ threadId: thread.id, assistantId: assistant.id })
      assert.strictEqual(run.createdAt, 12)
      // 13.95 s rounded up: at 13 s the run would have lived 50 ms
      assert.strictEqual(run.expiresAt, 14)
    }).pipe(Effect.provide(Harness.make({ server: { timings: { expiresAfter: "1 second" } } }).layer)))
})
