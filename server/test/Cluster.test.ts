/**
 * A cluster's operations, on real runners: child processes of the compiled bin (`--cluster`) on one
 * fresh PostgreSQL database each. Any runner serves the whole API; a stream opened on one runner
 * carries every event of a run executing on another, as a single process sends them; a cancel
 * through any runner ends a run wherever it executes; the probes answer without credentials; a
 * SIGTERM drains a runner, whose runs finish on the others, and a restarted runner takes runs
 * again; no key is ever printed; the bin's cluster flags are checked.
 *
 * Where a run executes is read from the log lines `run <id> <status> on <runner>`: `queued` is
 * written by the runner that took the request, `in_progress` by the one executing the workflow.
 */
import * as Sse from "@effect/experimental/Sse"
import { assert, describe, it } from "@effect/vitest"
import { AssistantsServer } from "effect-assistants-server"
import * as Effect from "effect/Effect"
import * as StreamContract from "../../test/utils/StreamContract.js"
import { freshPgUrl, pgSkipped } from "./store/databases.js"
import * as Bin from "./utils/bin.js"
import * as Cluster from "./utils/cluster.js"
import * as FakeUpstream from "./utils/FakeUpstream.js"
import { completion } from "./utils/ProviderHarness.js"

interface Reply<A = any> {
  readonly status: number
  readonly body: A
}

/** `url` is a runner's `http://127.0.0.1:<port>/v1`; `key`, its bearer token if any. */
const call = <A = any>(url: string, method: "GET" | "POST", path: string, body?: unknown, key?: string) =>
  Effect.promise(async (): Promise<Reply<A>> => {
    const response = await fetch(url + path, {
      method,
      headers: {
        "content-type": "application/json",
        "openai-beta": "assistants=v2",
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` })
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: response.status, body: (await response.json()) as A }
  })

const get = <A = any>(url: string, path: string, key?: string) => call<A>(url, "GET", path, undefined, key)
const post = <A = any>(url: string, path: string, body: unknown, key?: string) => call<A>(url, "POST", path, body, key)

/** A probe, outside `/v1`, with no credentials. */
const probe = (url: string, path: "/healthz" | "/readyz") =>
  Effect.promise(async (): Promise<Reply> => {
    const response = await fetch(url.replace(/\/v1$/, "") + path)
    return { status: response.status, body: await response.json() }
  })

/** Polls `read` until `done` holds, at most `tries` times, 50 ms apart. */
const until = <A>(read: Effect.Effect<A>, done: (a: A) => boolean, what: string, tries = 400) =>
  Effect.gen(function*() {
    let last: A | undefined
    for (let i = 0; i < tries; i++) {
      last = yield* read
      if (done(last)) return last
      yield* Effect.sleep("50 millis")
    }
    return yield* Effect.dieMessage(`never saw: ${what} (last: ${JSON.stringify(last)})`)
  })

const getRun = (url: string, thread: string, run: string) =>
  Effect.map(get(url, `/threads/${thread}/runs/${run}`), (r) => r.body)

const runIs = (url: string, thread: string, run: string, status: string) =>
  until(getRun(url, thread, run), (r) => r.status === status, `${run} ${status}`)

const list = (url: string, path: string) =>
  Effect.map(get<{ data: Array<any> }>(url, path), (r) => {
    assert.strictEqual(r.status, 200, path)
    return r.body.data
  })

const weather = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
  }
}

/** Two runners on a fresh database, started one after the other. */
const twoRunners = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const db = yield* freshPgUrl
    const a = yield* Cluster.runner(db, { args, env })
    const b = yield* Cluster.runner(db, { args, env })
    // a runner is ready once it holds shards: the second takes its share from the first a little
    // after its ready line, and a run created before then executes on the first
    for (const r of [a, b]) {
      yield* until(probe(r.child().url, "/readyz"), (p) => p.status === 200, `${r.name} ready`)
    }
    return [a, b] as const
  })

/** The runner that logged `run <id> <status>`, once one did. */
const loggedBy = (runners: ReadonlyArray<Cluster.Runner>, run: string, status: string) =>
  until(
    Effect.sync(() =>
      runners.flatMap((r) => Cluster.changes(r.output())).find((c) => c.run === run && c.status === status)
    ),
    (c) => c !== undefined,
    `the line "run ${run} ${status}"`
  ).pipe(Effect.map((c) => c!.runner))

/** An assistant (with `tools`) and a run of a new thread whose user message is `content`, through `url`. */
const newRun = (url: string, content: string, tools: ReadonlyArray<unknown> = [], key?: string) =>
  Effect.gen(function*() {
    const assistant = (yield* post(url, "/assistants", { model: "gpt-4o", tools }, key)).body
    const created = yield* post(url, "/threads/runs", {
      assistant_id: assistant.id,
      thread: { messages: [{ role: "user", content }] }
    }, key)
    assert.strictEqual(created.status, 200)
    assert.strictEqual(created.body.status, "queued")
    return {
      assistant: assistant.id as string,
      thread: created.body.thread_id as string,
      run: created.body.id as string
    }
  })

interface WireEvent {
  readonly event: string
  readonly data: any
}

/** POSTs a streamed request and reads its events to the end, each checked against the contract. */
const streamed = (url: string, path: string, body: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(url + path, {
      method: "POST",
      headers: { "content-type": "application/json", "openai-beta": "assistants=v2" },
      body: JSON.stringify({ ...(body as object), stream: true })
    })
    assert.strictEqual(response.status, 200)
    assert.include(response.headers.get("content-type"), "text/event-stream")
    const events: Array<{ event: string; data: string }> = []
    const parser = Sse.makeParser((e) => {
      if (e._tag === "Event") events.push({ event: e.event, data: e.data })
    })
    parser.feed(await response.text())
    return events.map((e): WireEvent => {
      const violation = StreamContract.check(e.event, e.data)
      assert.isUndefined(violation, violation)
      return { event: e.event, data: e.data === "[DONE]" ? e.data : JSON.parse(e.data) }
    })
  })

/**
 * The tool-call script, streamed: a run that calls `get_weather` (`first`, through `url`, ending
 * at `requires_action`), then its tool output submitted (`second`, through `submitUrl`).
 */
const toolCallFirstHalf = (url: string, assistant: string) =>
  Effect.gen(function*() {
    const first = yield* streamed(url, "/threads/runs", {
      assistant_id: assistant,
      thread: { messages: [{ role: "user", content: "get_weather for Paris" }] }
    })
    const created = first.find((e) => e.event === "thread.run.created")!.data
    return { first, run: created.id as string, thread: created.thread_id as string }
  })

const toolCallSecondHalf = (url: string, thread: string, run: string, first: ReadonlyArray<WireEvent>) => {
  const waiting = first.find((e) => e.event === "thread.run.requires_action")!.data
  const [toolCall] = waiting.required_action.submit_tool_outputs.tool_calls
  return streamed(url, `/threads/${thread}/runs/${run}/submit_tool_outputs`, {
    tool_outputs: [{ tool_call_id: toolCall.id, output: "18C" }]
  })
}

const names = (events: ReadonlyArray<WireEvent>) => events.map((e) => e.event)

/** The last event about each object (run, step, message) of a stream, by id. */
const latest = (events: ReadonlyArray<WireEvent>) => {
  const objects = new Map<string, any>()
  for (const e of events) {
    if (
      e.data?.object === "thread.run" || e.data?.object === "thread.run.step" || e.data?.object === "thread.message"
    ) {
      objects.set(e.data.id, e.data)
    }
  }
  return objects
}

/** A runner's process exit, or a failure after `millis` (a hang guard, not a speed target). */
const exitWithin = (child: Bin.Child, millis: number) =>
  Effect.promise(() => child.exited).pipe(
    Effect.timeoutFail({ duration: millis, onTimeout: () => new Error(`no exit within ${millis} ms`) }),
    Effect.orDie
  )

describe.skipIf(pgSkipped !== undefined)("a cluster of runners on one PostgreSQL database", () => {
  it.scopedLive(
    "any runner serves: what is created through one is read and listed alike through the other",
    () =>
      Effect.gen(function*() {
        const [a, b] = yield* twoRunners(["--queued-ms", "20", "--step-ms", "20"])
        const A = a.child().url
        const B = b.child().url
        const { assistant, run, thread } = yield* newRun(A, "hello cluster")
        // the run, created through A, is read through B and completes
        assert.strictEqual((yield* get(B, `/threads/${thread}/runs/${run}`)).status, 200)
        yield* runIs(B, thread, run, "completed")

        const paths = [
          `/assistants/${assistant}`,
          `/threads/${thread}`,
          `/threads/${thread}/runs/${run}`,
          `/threads/${thread}/runs?order=asc`,
          `/threads/${thread}/runs/${run}/steps?order=asc`,
          `/threads/${thread}/messages?order=asc`
        ]
        for (const path of paths) {
          const [throughA, throughB] = [yield* get(A, path), yield* get(B, path)]
          assert.strictEqual(throughB.status, 200, path)
          assert.deepStrictEqual(throughB.body, throughA.body, path)
        }
        const runs = yield* list(B, `/threads/${thread}/runs`)
        assert.deepStrictEqual(runs.map((r) => [r.id, r.status]), [[run, "completed"]])
        const steps = yield* list(B, `/threads/${thread}/runs/${run}/steps`)
        assert.deepStrictEqual(steps.map((s) => [s.type, s.status]), [["message_creation", "completed"]])
        const messages = yield* list(B, `/threads/${thread}/messages?order=asc`)
        assert.deepStrictEqual(messages.map((m) => [m.role, m.content[0].text.value]), [
          ["user", "hello cluster"],
          ["assistant", "You said: hello cluster"]
        ])
        assert.strictEqual(steps[0].step_details.message_creation.message_id, messages[1].id)

        // and the other way: a change through B is seen through A
        const modified = yield* post(B, `/assistants/${assistant}`, { metadata: { via: "B" } })
        assert.strictEqual(modified.status, 200)
        assert.deepStrictEqual((yield* get(A, `/assistants/${assistant}`)).body.metadata, { via: "B" })
        const added = yield* post(B, `/threads/${thread}/messages`, { role: "user", content: "and again" })
        assert.strictEqual(added.status, 200)
        const seenByA = yield* list(A, `/threads/${thread}/messages?order=asc`)
        assert.deepStrictEqual(seenByA.map((m) => m.id), [...messages.map((m) => m.id), added.body.id])
      }),
    { timeout: 60_000 }
  )

  it.scopedLive(
    "a stream on one runner carries every event of a run executing on the other, in order, as one process sends them",
    () =>
      Effect.gen(function*() {
        // the same script on one process (memory): the sequence every stream must match
        const reference = yield* Effect.gen(function*() {
          const { url } = yield* AssistantsServer.AssistantsServer
          const assistant = (yield* post(url, "/assistants", { model: "gpt-4o", tools: [weather] })).body.id
          const { first, run, thread } = yield* toolCallFirstHalf(url, assistant)
          const second = yield* toolCallSecondHalf(url, thread, run, first)
          return { first: names(first), second: names(second) }
        }).pipe(Effect.provide(AssistantsServer.layer({ timings: { queued: "20 millis", step: "20 millis" } })))
        assert.deepStrictEqual(reference.first.slice(0, 4), [
          "thread.created",
          "thread.run.created",
          "thread.run.queued",
          "thread.run.in_progress"
        ])
        assert.deepStrictEqual(reference.first.slice(-2), ["thread.run.requires_action", "done"])
        assert.include(reference.first, "thread.run.step.delta")
        assert.deepStrictEqual(reference.second.slice(0, 3), [
          "thread.run.queued",
          "thread.run.step.completed",
          "thread.run.in_progress"
        ])
        assert.deepStrictEqual(reference.second.slice(-2), ["thread.run.completed", "done"])
        assert.include(reference.second, "thread.message.delta")

        const [a, b] = yield* twoRunners(["--queued-ms", "20", "--step-ms", "20"])
        const A = a.child().url
        const B = b.child().url
        const assistant = (yield* post(A, "/assistants", { model: "gpt-4o", tools: [weather] })).body.id
        // streamed through A until a run executes on B (each run's shard decides)
        let found: { first: ReadonlyArray<WireEvent>; run: string; thread: string } | undefined
        for (let i = 0; i < 16 && found === undefined; i++) {
          const half = yield* toolCallFirstHalf(A, assistant)
          if ((yield* loggedBy([a, b], half.run, "in_progress")) === b.name) found = half
        }
        assert.isDefined(found, "no run executed on B in 16 tries")
        const { first, run, thread } = found!
        assert.deepStrictEqual(names(first), reference.first)
        assert.strictEqual(yield* loggedBy([a, b], run, "queued"), a.name)
        assert.strictEqual(yield* loggedBy([a, b], run, "requires_action"), b.name)

        // the outputs streamed through B; the turn after them executes wherever the run's shard is
        const second = yield* toolCallSecondHalf(B, thread, run, first)
        assert.deepStrictEqual(names(second), reference.second)
        yield* loggedBy([a, b], run, "completed")

        const all = [...first, ...second]
        // every event is of this run: its own id, or a step or message of it, or a delta of those
        const ours = latest(all)
        for (const e of all) {
          if (e.event === "done" || e.event === "thread.created") continue
          if (e.data.object === "thread.run") assert.strictEqual(e.data.id, run)
          else if (e.data.object.endsWith(".delta")) assert.isTrue(ours.has(e.data.id), e.event)
          else assert.strictEqual(e.data.run_id, run, e.event)
        }
        // the deltas, joined, are the reply and the call's arguments
        const reply = all.filter((e) => e.event === "thread.message.delta")
          .map((e) => e.data.delta.content[0].text.value).join("")
        assert.strictEqual(reply, "get_weather returned 18C")
        const args = all.filter((e) => e.event === "thread.run.step.delta")
          .map((e) => e.data.delta.step_details.tool_calls[0].function.arguments).join("")
        const waiting = first.find((e) => e.event === "thread.run.requires_action")!.data
        assert.strictEqual(args, waiting.required_action.submit_tool_outputs.tool_calls[0].function.arguments)

        // the last event about each object is the object as a GET returns it at the end, on either runner
        for (const url of [A, B]) {
          assert.deepStrictEqual(ours.get(run), yield* getRun(url, thread, run))
          const steps = yield* list(url, `/threads/${thread}/runs/${run}/steps?order=asc`)
          assert.deepStrictEqual(steps.map((s) => [s.type, s.status]), [
            ["tool_calls", "completed"],
            ["message_creation", "completed"]
          ])
          for (const s of steps) assert.deepStrictEqual(ours.get(s.id), s, `step ${s.type}`)
          const replies = (yield* list(url, `/threads/${thread}/messages?order=asc`)).filter((m) =>
            m.role === "assistant"
          )
          assert.strictEqual(replies.length, 1)
          assert.deepStrictEqual(ours.get(replies[0].id), replies[0])
        }
      }),
    { timeout: 90_000 }
  )

  it.scopedLive(
    "a cancel through the runner not executing the run ends it cancelled, in requires_action and in_progress",
    () =>
      Effect.gen(function*() {
        // slow steps: a turn stays in_progress for seconds
        const [a, b] = yield* twoRunners(["--queued-ms", "20", "--step-ms", "1500"])
        const runners = [a, b]
        const other = (name: string) => runners.find((r) => r.name !== name)!.child().url

        // waiting for tool outputs
        const waiting = yield* newRun(a.child().url, "get_weather for Oslo", [weather])
        yield* runIs(a.child().url, waiting.thread, waiting.run, "requires_action")
        const waitingOn = yield* loggedBy(runners, waiting.run, "in_progress")
        const cancelledWaiting = yield* post(
          other(waitingOn),
          `/threads/${waiting.thread}/runs/${waiting.run}/cancel`,
          {}
        )
        assert.strictEqual(cancelledWaiting.status, 200)
        assert.strictEqual(cancelledWaiting.body.status, "cancelling")
        const endedWaiting = yield* runIs(other(waitingOn), waiting.thread, waiting.run, "cancelled")
        assert.isNumber(endedWaiting.cancelled_at)
        assert.isNull(endedWaiting.required_action)
        yield* loggedBy(runners, waiting.run, "cancelled")

        // in a model turn
        const turning = yield* newRun(b.child().url, "a long answer")
        yield* runIs(b.child().url, turning.thread, turning.run, "in_progress")
        const turningOn = yield* loggedBy(runners, turning.run, "in_progress")
        const cancelledTurn = yield* post(other(turningOn), `/threads/${turning.thread}/runs/${turning.run}/cancel`, {})
        assert.strictEqual(cancelledTurn.status, 200)
        assert.strictEqual(cancelledTurn.body.status, "cancelling")
        const endedTurn = yield* runIs(other(turningOn), turning.thread, turning.run, "cancelled")
        assert.isNumber(endedTurn.cancelled_at)
        assert.isNull(endedTurn.completed_at)
        yield* loggedBy(runners, turning.run, "cancelled")
        // the turn stopped: no completed reply, no completed step, and no completed line
        const replies = (yield* list(a.child().url, `/threads/${turning.thread}/messages`)).filter((m) =>
          m.role === "assistant"
        )
        assert.isTrue(replies.every((m) => m.status !== "completed"), JSON.stringify(replies))
        const steps = yield* list(a.child().url, `/threads/${turning.thread}/runs/${turning.run}/steps`)
        assert.isTrue(steps.every((s) => s.status !== "completed"), JSON.stringify(steps))
        assert.isFalse(
          runners.flatMap((r) => Cluster.changes(r.output())).some((c) =>
            c.run === turning.run && c.status === "completed"
          )
        )
      }),
    { timeout: 60_000 }
  )

  it.scopedLive(
    "a SIGTERM drains a runner: it exits 0, its run finishes on the other runner once; restarted, it takes runs again",
    () =>
      Effect.gen(function*() {
        // each step of a turn takes 2 s: the turn on B outlasts B's wait for it at the stop (the
        // entity termination timeout, 2 s), so the run is left to the other runner
        const [a, b] = yield* twoRunners(["--queued-ms", "20", "--step-ms", "2000", "--shutdown-timeout", "5s"])
        const runners = [a, b]
        const A = a.child().url
        // runs started through A until one executes on B
        let onB: { thread: string; run: string; content: string } | undefined
        for (let batch = 0; batch < 4 && onB === undefined; batch++) {
          const created = yield* Effect.forEach(
            [0, 1, 2, 3],
            (i) => Effect.map(newRun(A, `drain ${batch}.${i}`), (c) => ({ ...c, content: `drain ${batch}.${i}` }))
          )
          for (const c of created) {
            if (onB === undefined && (yield* loggedBy(runners, c.run, "in_progress")) === b.name) onB = c
          }
        }
        assert.isDefined(onB, "no run executed on B in 16 tries")
        const { run, thread } = onB!
        assert.strictEqual((yield* getRun(A, thread, run)).status, "in_progress")

        const bChild = b.child()
        bChild.process.kill("SIGTERM")
        // within its shutdown time (5 s) plus the turn's termination timeout (2 s), with slack for a
        // loaded machine: a stop that waited for the run would not
        const exit = yield* exitWithin(bChild, 15_000)
        assert.deepStrictEqual(exit, { code: 0, signal: null })
        assert.include(bChild.stdout(), "effect-assistants server stopped")

        // the run finishes on A, after B left
        const done = yield* until(getRun(A, thread, run), (r) => r.status === "completed", "completed on A", 600)
        assert.isNotNull(done.usage)
        // its line is written after the store's write the GET saw
        assert.strictEqual(yield* loggedBy(runners, run, "completed"), a.name)
        const completedBy = Cluster.changes(a.output() + b.output()).filter((c) =>
          c.run === run && c.status === "completed"
        )
        assert.deepStrictEqual(completedBy.map((c) => c.runner), [a.name])
        const replies = (yield* list(A, `/threads/${thread}/messages?order=asc`)).filter((m) => m.role === "assistant")
        assert.deepStrictEqual(replies.map((m) => [m.status, m.content[0].text.value]), [[
          "completed",
          `You said: ${onB!.content}`
        ]])
        const steps = yield* list(A, `/threads/${thread}/runs/${run}/steps?order=asc`)
        assert.deepStrictEqual(steps.map((s) => [s.type, s.status]), [["message_creation", "completed"]])
        assert.strictEqual(steps[0].step_details.message_creation.message_id, replies[0].id)

        // back again: ready with shards, and it executes runs
        yield* b.restart
        const ready = yield* until(probe(b.child().url, "/readyz"), (p) => p.status === 200, "B ready again")
        assert.strictEqual(ready.body.checks.shards, true)
        let rejoined = false
        for (let batch = 0; batch < 4 && !rejoined; batch++) {
          const created = yield* Effect.forEach([0, 1, 2, 3], (i) => newRun(A, `again ${batch}.${i}`))
          for (const c of created) {
            if ((yield* loggedBy(runners, c.run, "in_progress")) === b.name) {
              rejoined = true
              assert.include(b.child().stdout(), `run ${c.run} in_progress on ${b.name}`)
            }
          }
        }
        assert.isTrue(rejoined, "no run executed on the restarted B in 16 tries")
      }),
    { timeout: 120_000 }
  )

  it.scopedLive(
    "with --api-key, the probes answer without credentials; no key (API, wrong, upstream) is printed by any runner",
    () =>
      Effect.gen(function*() {
        const suffix = Math.random().toString(36).slice(2)
        const key = `sk-secret-${suffix}`
        const wrong = `sk-secret-wrong-${suffix}`
        const modelKey = `sk-model-secret-${suffix}`
        const fake = yield* FakeUpstream.make("chat")
        fake.script({ _tag: "json", body: completion({ content: "Hi from upstream." }, "stop") })
        const [a, b] = yield* twoRunners([
          "--api-key",
          key,
          "--model-provider",
          "openai-chat",
          "--model-base-url",
          fake.url,
          "--model-api-key",
          modelKey
        ])
        const A = a.child().url
        const B = b.child().url
        for (const r of [a, b]) {
          const url = r.child().url
          assert.strictEqual((yield* get(url, "/assistants")).status, 401)
          assert.deepStrictEqual(yield* probe(url, "/healthz"), { status: 200, body: { status: "ok" } })
          // a runner that just started may hold no shard yet: not ready until it does
          const ready = yield* until(probe(url, "/readyz"), (p) => p.status === 200, `${r.name} ready`)
          assert.deepStrictEqual(ready.body, {
            status: "ready",
            checks: { database: true, events: true, shards: true, serving: true }
          })
        }
        const inProcess = yield* Effect.flatMap(AssistantsServer.AssistantsServer, ({ url }) => probe(url, "/readyz"))
          .pipe(Effect.provide(AssistantsServer.layer()))
        assert.strictEqual(inProcess.status, 200)
        assert.strictEqual(inProcess.body.status, "ready")
        assert.isTrue(Object.values(inProcess.body.checks).every((ok) => ok === true), JSON.stringify(inProcess.body))
        assert.strictEqual(inProcess.body.checks.serving, true)

        const runs = [yield* newRun(A, "hello", [], key), yield* newRun(B, "hello", [], key)]
        for (const { run, thread } of runs) {
          yield* until(
            Effect.map(get(B, `/threads/${thread}/runs/${run}`, key), (r) => r.body),
            (r) => r.status === "completed",
            `${run} completed`
          )
        }
        assert.isAtLeast(fake.requests.length, 2)
        for (const r of fake.requests) assert.strictEqual(r.headers.authorization, `Bearer ${modelKey}`)
        for (const url of [A, B]) {
          assert.strictEqual((yield* get(url, "/assistants", wrong)).status, 401)
          assert.strictEqual((yield* post(url, "/assistants", { model: "gpt-4o" }, wrong)).status, 401)
          assert.strictEqual((yield* get(url, "/assistants")).status, 401)
          assert.strictEqual((yield* get(url, `/threads/${runs[0].thread}/runs/${runs[0].run}`, key)).status, 200)
          // a failing request with the right key: the key is not in its error either
          assert.strictEqual((yield* get(url, "/threads/thread_missing", key)).status, 404)
        }
        // stopped, so that each prints all it will
        for (const r of [a, b]) {
          r.child().process.kill("SIGTERM")
          yield* exitWithin(r.child(), 20_000)
        }
        for (const r of [a, b]) {
          const lines = r.output().split("\n")
          assert.isAbove(lines.filter((l) => l.includes(" on " + r.name)).length, 0, "its run lines were read")
          for (const secret of [key, wrong, modelKey, suffix]) {
            assert.deepStrictEqual(lines.filter((l) => l.includes(secret)), [], `${secret} printed by ${r.name}`)
          }
        }
      }),
    { timeout: 60_000 }
  )

  // `CREATE TABLE IF NOT EXISTS` is not safe against a concurrent create in PostgreSQL: runners
  // started together on a fresh database take turns on an advisory lock for their schema work
  // (the store's migrations, the run events' table, the cluster's tables)
  it.scopedLive(
    "runners started at the same time on a fresh database all start",
    () =>
      Effect.gen(function*() {
        const db = yield* freshPgUrl
        const runners = yield* Effect.all([Cluster.runner(db), Cluster.runner(db), Cluster.runner(db)], {
          concurrency: "unbounded"
        })
        for (const r of runners) {
          const ready = yield* until(probe(r.child().url, "/readyz"), (p) => p.status === 200, `${r.name} ready`)
          assert.strictEqual(ready.body.checks.shards, true)
        }
      }),
    { timeout: 60_000 }
  )
})

describe("the bin's cluster flags", () => {
  it.live(
    "a bad combination is one line saying what is wrong, the usage, and exit code 2",
    () =>
      Effect.gen(function*() {
        const cases: ReadonlyArray<[ReadonlyArray<string>, RegExp]> = [
          [["--cluster"], /^--cluster needs --database-url \(or DATABASE_URL\)/],
          [["--cluster", "--memory"], /^--cluster keeps the data in PostgreSQL: give --database-url, not --memory$/],
          [["--cluster", "--db", "x.db"], /^--cluster keeps the data in PostgreSQL: give --database-url, not --db$/],
          [["--runner-port", "5"], /^--runner-port needs --cluster$/],
          [["--runner-host", "10.0.0.1"], /^--runner-host needs --cluster$/]
        ]
        const results = yield* Effect.forEach(cases, ([args]) => Bin.run(args), { concurrency: "unbounded" })
        cases.forEach(([args, line], i) => {
          const result = results[i]
          assert.strictEqual(result.code, 2, args.join(" "))
          assert.strictEqual(result.stdout, "", args.join(" "))
          const lines = result.stderr.trimEnd().split("\n")
          assert.strictEqual(lines.length, 2, result.stderr)
          assert.match(lines[0], line)
          assert.match(lines[1], /^usage: effect-assistants-server /)
        })
      }),
    { timeout: 30_000 }
  )

  // checked with the other flags, before the database is opened
  it.live("a runner port out of range is a usage error, exit code 2", () =>
    Effect.gen(function*() {
      const result = yield* Bin.run([
        "--cluster",
        "--database-url",
        "postgres://127.0.0.1:1/none",
        "--runner-port",
        "70000"
      ])
      assert.strictEqual(result.code, 2, result.stderr)
      assert.match(result.stderr, /^--runner-port needs /)
    }), { timeout: 30_000 })
})
