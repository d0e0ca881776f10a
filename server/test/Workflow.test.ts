/**
 * Each run is a workflow: the same run semantics on the workflow engine's in-memory storage and on
 * `ClusterWorkflowEngine` over SQLite (a single runner whose messages are rows of the database):
 * a tool round, a cancel while the run waits for outputs and while the model works, `expires_at`
 * ending a wait (a durable clock), and, over SQL, the run's id as the workflow's execution id and
 * outputs reaching a workflow that a racing resume left unread; and a run's events sent only once
 * the writes they describe have committed.
 */
import * as EntityId from "@effect/cluster/EntityId"
import * as MessageStorage from "@effect/cluster/MessageStorage"
import * as ShardId from "@effect/cluster/ShardId"
import * as Sharding from "@effect/cluster/Sharding"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import * as Snowflake from "@effect/cluster/Snowflake"
import * as SqlMessageStorage from "@effect/cluster/SqlMessageStorage"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it, layer } from "@effect/vitest"
import * as DurableClock from "@effect/workflow/DurableClock"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import { AssistantsServer, Model, Store } from "effect-assistants-server"
import type { Run } from "effect-assistants/Run"
import type { Thread } from "effect-assistants/Thread"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { holdingShards } from "../src/internal/shards.js"
import { defaultTimings, type Event, type RunEngine } from "../src/RunEngine.js"
import * as RunEvents from "../src/RunEvents.js"
import * as RunWorkflow from "../src/RunWorkflow.js"
import { freshPgUrl, pgSkipped } from "./store/databases.js"
import { message, run, thread } from "./store/fixtures.js"

const headers = { "content-type": "application/json", "openai-beta": "assistants=v2" }

const call = <A = any>(url: string, method: "GET" | "POST", path: string, body?: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(url + path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: response.status, body: (await response.json()) as A }
  })

/** Reads the run until `done` holds, at most `tries` times, 20 ms apart. */
const until = (url: string, thread: string, run: string, done: (r: any) => boolean, tries = 400) =>
  Effect.gen(function*() {
    let last: any
    for (let i = 0; i < tries; i++) {
      const { body } = yield* call(url, "GET", `/threads/${thread}/runs/${run}`)
      if (done(body)) return body
      last = body
      yield* Effect.sleep("20 millis")
    }
    // the status it was left at says where it stopped: before its first turn, in a wait, after one
    return yield* Effect.dieMessage(
      `run ${run} never reached the expected state: last seen ${last?.status ?? JSON.stringify(last)}`
    )
  })

const weather = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
  }
}

const timings = { queued: "5 millis", step: "10 millis", cancelling: "5 millis" } as const

/**
 * Asks for get_weather in its first two turns, then replies with every output it was given: two
 * requires_action waits in one run, each its own signal.
 */
const model: Model.Model["Type"] = {
  respond: (input) =>
    input.model !== "two-rounds"
      ? Model.scripted.respond(input)
      : Effect.succeed(
        input.round < 2
          ? { _tag: "ToolCalls", calls: [{ name: "get_weather", arguments: `{"city":"round ${input.round}"}` }] }
          : { _tag: "Reply", text: input.toolOutputs.map((o) => `${o.round}:${o.output}`).join(",") }
      )
}

/** A thread whose run asks for `get_weather`. */
const toolRun = (url: string, extra: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const assistant = (yield* call(url, "POST", "/assistants", { model: "gpt-4o", tools: [weather] })).body
    const thread = (yield* call(url, "POST", "/threads", {
      messages: [{ role: "user", content: "Use get_weather for Paris" }]
    })).body
    const run = (yield* call(url, "POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id, ...extra })).body
    return { thread: thread.id as string, run: run.id as string }
  })

const steps = (url: string, thread: string, run: string) =>
  Effect.map(call(url, "GET", `/threads/${thread}/runs/${run}/steps?order=asc`), (r) => r.body.data as Array<any>)

const messages = (url: string, thread: string) =>
  Effect.map(call(url, "GET", `/threads/${thread}/messages?order=asc`), (r) => r.body.data as Array<any>)

/** The store's objects in memory, the workflows' messages in SQLite: the engine alone on SQL. */
type Database = Layer.Layer<Store.Store | SqlClient.SqlClient, unknown>

const sqlite = (): Database => {
  const dir = mkdtempSync(join(tmpdir(), "workflow-"))
  return Layer.merge(Store.layerMemory, SqliteClient.layer({ filename: join(dir, "runs.db") }))
}

/** Objects and workflows in a fresh PostgreSQL database (see `store/databases`). */
const pg = (): Database => Layer.unwrapScoped(Effect.map(freshPgUrl, (url) => Store.layerPg({ url })))

/** Objects and workflows in one SQLite file, as the bin keeps them. */
const sqliteStore = (): Database =>
  Store.layerSqlite({ filename: join(mkdtempSync(join(tmpdir(), "workflow-")), "all.db") })

const engines: ReadonlyArray<{
  readonly name: string
  readonly skipped?: string | undefined
  readonly server: () => ReturnType<typeof AssistantsServer.layer<unknown>>
}> = [
  { name: "in-memory workflow engine", server: () => AssistantsServer.layer({ timings, model }) },
  {
    name: "ClusterWorkflowEngine over SQLite",
    server: () =>
      AssistantsServer.layer({
        timings,
        model,
        database: sqlite(),
        shardingConfig: { entityMessagePollInterval: "50 millis" }
      })
  },
  {
    name: "ClusterWorkflowEngine and the store in PostgreSQL",
    skipped: pgSkipped,
    server: () =>
      AssistantsServer.layer({
        timings,
        model,
        database: pg(),
        shardingConfig: { entityMessagePollInterval: "50 millis" }
      })
  },
  {
    name: "ClusterWorkflowEngine and the store in one SQLite file",
    server: () =>
      AssistantsServer.layer({
        timings,
        model,
        database: sqliteStore(),
        shardingConfig: { entityMessagePollInterval: "50 millis" }
      })
  }
]

for (const engine of engines) {
  if (engine.skipped !== undefined) {
    describe.skip(`${engine.name} (${engine.skipped})`, () => {})
    continue
  }
  describe(engine.name, () => {
    layer(engine.server(), { timeout: 30_000, excludeTestServices: true })((it) => {
      it.effect("a tool round: requires_action, the outputs, then the reply; each step once", () =>
        Effect.gen(function*() {
          const { url } = yield* AssistantsServer.AssistantsServer
          const { run, thread } = yield* toolRun(url)
          const waiting = yield* until(url, thread, run, (r) => r.status === "requires_action")
          const calls = waiting.required_action.submit_tool_outputs.tool_calls
          assert.strictEqual(calls.length, 1)
          assert.strictEqual(calls[0].function.name, "get_weather")
          const submitted = yield* call(url, "POST", `/threads/${thread}/runs/${run}/submit_tool_outputs`, {
            tool_outputs: [{ tool_call_id: calls[0].id, output: "22C" }]
          })
          assert.strictEqual(submitted.status, 200)
          assert.strictEqual(submitted.body.status, "queued")
          const done = yield* until(url, thread, run, (r) => r.status === "completed")
          assert.isNull(done.required_action)
          const all = yield* steps(url, thread, run)
          assert.deepStrictEqual(all.map((s) => [s.type, s.status]), [
            ["tool_calls", "completed"],
            ["message_creation", "completed"]
          ])
          assert.strictEqual(all[0].step_details.tool_calls[0].function.output, "22C")
          const replies = (yield* messages(url, thread)).filter((m) => m.role === "assistant")
          assert.strictEqual(replies.length, 1)
          assert.include(replies[0].content[0].text.value, "get_weather returned 22C")
          // a second submit finds the run no longer waiting
          const again = yield* call(url, "POST", `/threads/${thread}/runs/${run}/submit_tool_outputs`, {
            tool_outputs: [{ tool_call_id: calls[0].id, output: "22C" }]
          })
          assert.strictEqual(again.status, 400)
        }))

      it.effect("two tool rounds in one run: each wait takes its own outputs, the model sees both", () =>
        Effect.gen(function*() {
          const { url } = yield* AssistantsServer.AssistantsServer
          const { run, thread } = yield* toolRun(url, { model: "two-rounds" })
          const ids: Array<string> = []
          for (const output of ["a", "b"]) {
            const waiting = yield* until(
              url,
              thread,
              run,
              (r) =>
                r.status === "requires_action" && !ids.includes(r.required_action.submit_tool_outputs.tool_calls[0].id)
            )
            const id = waiting.required_action.submit_tool_outputs.tool_calls[0].id
            ids.push(id)
            yield* call(url, "POST", `/threads/${thread}/runs/${run}/submit_tool_outputs`, {
              tool_outputs: [{ tool_call_id: id, output }]
            })
          }
          yield* until(url, thread, run, (r) => r.status === "completed")
          const all = yield* steps(url, thread, run)
          assert.deepStrictEqual(all.map((s) => [s.type, s.status]), [
            ["tool_calls", "completed"],
            ["tool_calls", "completed"],
            ["message_creation", "completed"]
          ])
          assert.deepStrictEqual(all.slice(0, 2).map((s) => s.step_details.tool_calls[0].id), ids)
          const replies = (yield* messages(url, thread)).filter((m) => m.role === "assistant")
          assert.deepStrictEqual(replies.map((m) => m.content[0].text.value), ["0:a,1:b"])
        }))

      it.effect("a cancel ends a requires_action wait: the run and its tool step are cancelled", () =>
        Effect.gen(function*() {
          const { url } = yield* AssistantsServer.AssistantsServer
          const { run, thread } = yield* toolRun(url)
          yield* until(url, thread, run, (r) => r.status === "requires_action")
          const cancelling = yield* call(url, "POST", `/threads/${thread}/runs/${run}/cancel`)
          assert.strictEqual(cancelling.body.status, "cancelling")
          const done = yield* until(url, thread, run, (r) => r.status === "cancelled")
          assert.isNumber(done.cancelled_at)
          const all = yield* steps(url, thread, run)
          assert.deepStrictEqual(all.map((s) => [s.type, s.status]), [["tool_calls", "cancelled"]])
        }))

      it.effect("a cancel during a model turn ends the run cancelled, no reply written", () =>
        Effect.gen(function*() {
          const { url } = yield* AssistantsServer.AssistantsServer
          const assistant = (yield* call(url, "POST", "/assistants", { model: "gpt-4o" })).body
          const thread = (yield* call(url, "POST", "/threads", {
            messages: [{ role: "user", content: "hello" }]
          })).body
          const run = (yield* call(url, "POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id })).body
          const cancelling = yield* call(url, "POST", `/threads/${thread.id}/runs/${run.id}/cancel`)
          assert.strictEqual(cancelling.body.status, "cancelling")
          yield* until(url, thread.id, run.id, (r) => r.status === "cancelled")
          const replies = (yield* messages(url, thread.id)).filter((m) => m.role === "assistant")
          assert.isTrue(replies.every((m) => m.status !== "completed"))
        }))
    })

    layer(
      AssistantsServer.layer({
        timings: { ...timings, expiresAfter: "1 second" },
        ...(engine.name.includes("SQL")
          ? {
            database: engine.name.includes("PostgreSQL")
              ? pg()
              : engine.name.includes("store")
              ? sqliteStore()
              : sqlite(),
            shardingConfig: { entityMessagePollInterval: "50 millis" }
          }
          : {})
      }),
      { timeout: 30_000, excludeTestServices: true }
    )((it) => {
      it.effect("expires_at ends a requires_action wait: the run and its tool step expire", () =>
        Effect.gen(function*() {
          const { url } = yield* AssistantsServer.AssistantsServer
          const { run, thread } = yield* toolRun(url)
          const waiting = yield* until(url, thread, run, (r) => r.status === "requires_action")
          const done = yield* until(url, thread, run, (r) => r.status === "expired")
          assert.strictEqual(done.expires_at, waiting.expires_at)
          const all = yield* steps(url, thread, run)
          assert.deepStrictEqual(all.map((s) => [s.type, s.status]), [["tool_calls", "expired"]])
          // and it takes no outputs any more
          const late = yield* call(url, "POST", `/threads/${thread}/runs/${run}/submit_tool_outputs`, {
            tool_outputs: [{ tool_call_id: waiting.required_action.submit_tool_outputs.tool_calls[0].id, output: "x" }]
          })
          assert.strictEqual(late.status, 400)
        }))
    })
  })
}

describe("a single runner over SQL, at start", () => {
  it.live("holdingShards returns once the runner holds its shards: any workflow's, taken in the same batch", () =>
    Effect.scoped(Effect.gen(function*() {
      const runner = SingleRunner.layer({ runnerStorage: "sql" }).pipe(
        Layer.provide(SqliteClient.layer({ filename: join(mkdtempSync(join(tmpdir(), "workflow-")), "runs.db") }))
      )
      const sharding = yield* Effect.provide(Sharding.Sharding, yield* Layer.build(runner))
      // the runner takes its shards after its layer is built: holdingShards waits for them
      const shard = sharding.getShardId(EntityId.make("run_abc"), "default")
      yield* Effect.provideService(holdingShards(ShardingConfig.defaults), Sharding.Sharding, sharding)
      assert.isTrue(sharding.hasShardId(shard))
    })))
})

describe("ClusterWorkflowEngine over SQLite, the storage", () => {
  const database = sqlite()
  layer(
    AssistantsServer.layer({ timings, database, shardingConfig: { entityMessagePollInterval: "50 millis" } }).pipe(
      Layer.provideMerge(database)
    ),
    { timeout: 30_000, excludeTestServices: true }
  )((it) => {
    it.effect("the run's id is its workflow's execution id, and its turns are recorded activities", () =>
      Effect.gen(function*() {
        const { url } = yield* AssistantsServer.AssistantsServer
        const { run, thread } = yield* toolRun(url)
        const waiting = yield* until(url, thread, run, (r) => r.status === "requires_action")
        yield* call(url, "POST", `/threads/${thread}/runs/${run}/submit_tool_outputs`, {
          tool_outputs: [{ tool_call_id: waiting.required_action.submit_tool_outputs.tool_calls[0].id, output: "1" }]
        })
        yield* until(url, thread, run, (r) => r.status === "completed")
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql<{ tag: string; payload: string }>`
          SELECT tag, payload FROM cluster_messages
          WHERE entity_type = 'Workflow/effect-assistants/Run' AND entity_id = ${run}
          ORDER BY id`
        const activities = rows.filter((r) => r.tag === "activity").map((r) => JSON.parse(r.payload).name)
        assert.deepStrictEqual(rows[0].tag, "run")
        assert.deepStrictEqual(activities, ["turn/0", "expiry", "wait/0", "outputs/0", "turn/1"])
        assert.isTrue(
          rows.some((r) =>
            r.tag === "deferred" &&
            JSON.parse(r.payload).name === `outputs/${waiting.required_action.submit_tool_outputs.tool_calls[0].id}`
          )
        )
      }))

    it.effect("outputs reach a run whose workflow a resume left unread: its messages are read again", () =>
      Effect.gen(function*() {
        const { url } = yield* AssistantsServer.AssistantsServer
        const { run, thread } = yield* toolRun(url)
        const waiting = yield* until(url, thread, run, (r) => r.status === "requires_action")
        // what a resume racing the workflow's suspension leaves: its reply cleared, then a read of
        // the shard's messages that skipped the request as still running (so marked read), in one
        // transaction, so that the runner's own reads cannot come between
        const sql = yield* SqlClient.SqlClient
        // as text: a snowflake is past a double's exact integers
        const [{ id }] = yield* sql<{ id: string }>`
          SELECT CAST(id AS TEXT) AS id FROM cluster_messages
          WHERE entity_type = 'Workflow/effect-assistants/Run' AND entity_id = ${run} AND tag = 'run'`
        const storage = yield* Effect.provide(
          MessageStorage.MessageStorage,
          SqlMessageStorage.layer.pipe(Layer.provide(ShardingConfig.layer()))
        )
        const shards = Array.from(
          { length: ShardingConfig.defaults.shardsPerGroup },
          (_, i) => ShardId.make("default", i + 1)
        )
        const read = yield* sql.withTransaction(Effect.zipRight(
          storage.clearReplies(Snowflake.Snowflake(id)),
          storage.unprocessedMessages(shards)
        ))
        assert.isTrue(read.some((m) => String(m.envelope.requestId) === id))
        const submitted = yield* call(url, "POST", `/threads/${thread}/runs/${run}/submit_tool_outputs`, {
          tool_outputs: [{ tool_call_id: waiting.required_action.submit_tool_outputs.tool_calls[0].id, output: "1" }]
        })
        assert.strictEqual(submitted.status, 200)
        const done = yield* until(url, thread, run, (r) => r.status === "completed")
        assert.strictEqual(done.status, "completed")
      }))
  })
})

/**
 * Stores run `r` on thread `t` (with one message) and starts it on `engine`: the fiber returned
 * ends once the run has completed.
 */
const started = (store: Store.Service, engine: RunEngine["Type"], t: Thread, r: Run) =>
  Effect.gen(function*() {
    yield* store.threads.put(t)
    yield* store.messages.put(message(t.id, "hello"))
    yield* store.runs.put(r)
    const completed = yield* Effect.forkScoped(
      Stream.runDrain(
        Stream.takeUntil(Stream.filter(engine.events, (e) => e.event === "thread.run.completed"), () => true)
      )
    )
    yield* engine.start(r)
    return completed
  })

describe("a run's events and its transactions", () => {
  it.live("an event of a write in a transaction is sent once the transaction has committed", () =>
    Effect.gen(function*() {
      // the memory store, its reply transaction held open after its writes until `commit`
      const memory = yield* Store.makeMemory
      const committing = yield* Deferred.make<void>()
      const commit = yield* Deferred.make<void>()
      let armed = true
      const store: Store.Service = {
        ...memory,
        transaction: (self) => {
          const gated = armed
          armed = false
          return gated
            ? Effect.tap(self, () => Effect.zipRight(Deferred.succeed(committing, undefined), Deferred.await(commit)))
            : self
        }
      }
      const sent: Array<string> = []
      const local = yield* RunEvents.makeLocal
      const bus = {
        ...local,
        publish: (e: Event) => Effect.zipRight(Effect.sync(() => sent.push(e.event)), local.publish(e))
      }
      const engine = yield* RunWorkflow.make({ ...defaultTimings, queued: 0, step: 0 }, { resumeAfterSignal: true })
        .pipe(
          // built in the test's scope: the engine lives as long as the test
          Effect.provide(yield* Layer.build(WorkflowEngine.layerMemory)),
          Effect.provideService(RunEvents.RunEvents, bus),
          Effect.provideService(Store.Store, store),
          Effect.provideService(Model.Model, Model.scripted)
        )
      const t = thread()
      const r = { ...run(t.id, "asst_x"), expiresAt: Math.floor(Date.now() / 1000) + 600 }
      const ended = yield* started(store, engine, t, r)
      yield* Deferred.await(committing)
      // the reply's message and step, and the run, are written but not committed: nothing is sent
      assert.isFalse(sent.includes("thread.message.completed"))
      assert.isFalse(sent.includes("thread.run.completed"))
      yield* Deferred.succeed(commit, undefined)
      yield* Fiber.join(ended)
      assert.deepStrictEqual(sent.slice(-3), [
        "thread.message.completed",
        "thread.run.step.completed",
        "thread.run.completed"
      ])
      assert.strictEqual((yield* store.runs.get(r.id))?.status, "completed")
    }).pipe(Effect.scoped))
})

/** Asks for get_weather in its first turn, then replies with the outputs it was given. */
const asksOnce: Model.Model["Type"] = {
  respond: (input) =>
    Effect.succeed(
      input.round === 0
        ? { _tag: "ToolCalls", calls: [{ name: "get_weather", arguments: "{}" }] }
        : { _tag: "Reply", text: input.toolOutputs.map((o) => o.output).join(",") }
    )
}

/** The run engine over `workflows` (the memory engine, or one over it), built in the test's scope. */
const memoryEngine = (store: Store.Service, workflows: WorkflowEngine.WorkflowEngine["Type"]) =>
  RunWorkflow.make({ ...defaultTimings, queued: 0, step: 0 }, { resumeAfterSignal: true }).pipe(
    Effect.provideService(WorkflowEngine.WorkflowEngine, workflows),
    Effect.provide(RunEvents.layerLocal),
    Effect.provideService(Store.Store, store),
    Effect.provideService(Model.Model, asksOnce)
  )

/** The memory workflow engine, built in the test's scope. */
const memoryWorkflows = Effect.map(
  Layer.build(WorkflowEngine.layerMemory),
  (context) => Context.get(context, WorkflowEngine.WorkflowEngine)
)

/**
 * `base`, with `hook` run before the workflow's first look for a cancel while run `runId` is in
 * `requires_action` (a turn looks for a cancel too): its look for its signals, after the outputs.
 */
const atLook = (
  base: WorkflowEngine.WorkflowEngine["Type"],
  store: Store.Service,
  runId: string,
  hook: Effect.Effect<void>
): WorkflowEngine.WorkflowEngine["Type"] => {
  let armed = true
  return {
    ...base,
    deferredResult: (deferred) =>
      deferred.name !== "cancel" ?
        base.deferredResult(deferred) :
        Effect.flatMap(Effect.orDie(store.runs.get(runId)), (current) => {
          if (!armed || current?.status !== "requires_action") return base.deferredResult(deferred)
          armed = false
          return Effect.zipRight(hook, base.deferredResult(deferred))
        })
  }
}

/** The first event named `name` on a subscription taken now. */
const next = (engine: RunEngine["Type"], name: string) =>
  Effect.flatMap(
    engine.subscribe,
    (events) => Effect.fork(Stream.runHead(Stream.filter(events, (e) => e.event === name)))
  )

describe("the in-memory workflow engine and its signals", () => {
  it.live("outputs submitted while the workflow looks for them and misses them: it is resumed once suspended", () =>
    Effect.gen(function*() {
      const store = yield* Store.makeMemory
      const t = thread()
      const r = { ...run(t.id, "asst_x"), expiresAt: Math.floor(Date.now() / 1000) + 600 }
      // the workflow's look for its signals is held after it found no outputs
      const looking = yield* Deferred.make<void>()
      const proceed = yield* Deferred.make<void>()
      const engine = yield* memoryEngine(
        store,
        atLook(
          yield* memoryWorkflows,
          store,
          r.id,
          Effect.zipRight(Deferred.succeed(looking, undefined), Deferred.await(proceed))
        )
      )
      const ended = yield* started(store, engine, t, r)
      yield* Deferred.await(looking)
      const waiting = yield* store.runs.get(r.id)
      assert.strictEqual(waiting?.status, "requires_action")
      const callId = waiting!.requiredAction!.submitToolOutputs.toolCalls[0].id
      const requeued = yield* next(engine, "thread.run.queued")
      const submitted = yield* Effect.fork(engine.submitToolOutputs(waiting!, [{ toolCallId: callId, output: "21" }]))
      // the outputs and the run's new status are written (one transaction, then this event): the
      // signal has landed during the look, which read the outputs signal before it
      yield* Fiber.join(requeued)
      yield* Deferred.succeed(proceed, undefined)
      yield* Fiber.join(submitted)
      yield* Fiber.join(ended).pipe(
        Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("the run was never resumed") })
      )
      const done = yield* store.runs.get(r.id)
      assert.strictEqual(done?.status, "completed")
    }).pipe(Effect.scoped))

  it.effect("a run's expires_at clock is set while it waits for outputs, and gone once it has ended", () =>
    Effect.gen(function*() {
      const store = yield* Store.makeMemory
      const base = yield* memoryWorkflows
      const t = thread()
      // the test clock starts at 0: the run expires at 600 s
      const r = { ...run(t.id, "asst_x"), expiresAt: 600 }
      // the workflow's look for its signals: its expiry activity came before
      const looked = yield* Deferred.make<void>()
      const engine = yield* memoryEngine(store, atLook(base, store, r.id, Deferred.succeed(looked, undefined)))
      const ended = yield* started(store, engine, t, r)
      yield* Deferred.await(looked)
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* TestClock.sleeps()), [600_000])
      const waiting = (yield* store.runs.get(r.id))!
      const callId = waiting.requiredAction!.submitToolOutputs.toolCalls[0].id
      yield* engine.submitToolOutputs(waiting, [{ toolCallId: callId, output: "21" }])
      yield* Fiber.join(ended)
      // the run's completion is sent from its last turn: the workflow's end, a little later
      yield* base.execute(RunWorkflow.RunWorkflow, { executionId: r.id, payload: { runId: r.id } })
      assert.strictEqual((yield* store.runs.get(r.id))?.status, "completed")
      // a clock left behind would fire at 600 s and set the expiry signal of the ended run
      yield* TestClock.adjust("1 hour")
      const expiry = DurableClock.make({ name: "expires_at", duration: Duration.zero }).deferred
      const fired = yield* base.deferredResult(expiry).pipe(
        Effect.provideService(
          WorkflowEngine.WorkflowInstance,
          WorkflowEngine.WorkflowInstance.initial(RunWorkflow.RunWorkflow, r.id)
        )
      )
      assert.isUndefined(fired)
    }).pipe(
      Effect.scoped,
      // this file's layers take the live services: the test clock is given here
      Effect.provide(TestContext.TestContext)
    ))

  it.effect("expires_at ends a wait through that clock: the run expires when the clock reaches it", () =>
    Effect.gen(function*() {
      const store = yield* Store.makeMemory
      const base = yield* memoryWorkflows
      const engine = yield* memoryEngine(store, base)
      const t = thread()
      const r = { ...run(t.id, "asst_x"), expiresAt: 600 }
      const waits = yield* next(engine, "thread.run.requires_action")
      const expired = yield* next(engine, "thread.run.expired")
      yield* started(store, engine, t, r)
      yield* Fiber.join(waits)
      yield* TestClock.adjust("599 seconds")
      assert.strictEqual((yield* store.runs.get(r.id))?.status, "requires_action")
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(expired)
      yield* base.execute(RunWorkflow.RunWorkflow, { executionId: r.id, payload: { runId: r.id } })
      assert.strictEqual((yield* store.runs.get(r.id))?.status, "expired")
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* TestClock.sleeps()), [])
    }).pipe(Effect.scoped, Effect.provide(TestContext.TestContext)))
})
