/**
 * Runs survive a crash: the bin on a SQLite file (`--db`) or a PostgreSQL database
 * (`--database-url`) is killed with SIGKILL during a model turn, during a `requires_action` wait and
 * during a streamed run, or stopped with SIGTERM during a model turn (the stop does not wait for
 * the turn), then started again on the same database. Each run ends as it would have without the
 * kill: a run in `requires_action` still takes its outputs, a run `in_progress` finishes its turn,
 * and no message, step or upstream call of a turn that had completed is made twice.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freshPgUrl, pgSkipped } from "./store/databases.js"
import * as Bin from "./utils/bin.js"
import * as FakeUpstream from "./utils/FakeUpstream.js"

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

/** Polls `read` until `done` holds, at most `tries` times, 20 ms apart. */
const until = <A>(read: Effect.Effect<A>, done: (a: A) => boolean, what: string, tries = 500) =>
  Effect.gen(function*() {
    for (let i = 0; i < tries; i++) {
      const a = yield* read
      if (done(a)) return a
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.dieMessage(`never saw: ${what}`)
  })

const getRun = (url: string, thread: string, run: string) =>
  Effect.map(call(url, "GET", `/threads/${thread}/runs/${run}`), (r) => r.body)

const steps = (url: string, thread: string, run: string) =>
  Effect.map(call(url, "GET", `/threads/${thread}/runs/${run}/steps?order=asc`), (r) => r.body.data as Array<any>)

const replies = (url: string, thread: string) =>
  Effect.map(
    call(url, "GET", `/threads/${thread}/messages?order=asc`),
    (r) => (r.body.data as Array<any>).filter((m) => m.role === "assistant")
  )

const weather = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
  }
}

/** The flags of a fresh database of each kind. */
const kinds: ReadonlyArray<{
  readonly name: string
  readonly skipped: string | undefined
  readonly database: Effect.Effect<ReadonlyArray<string>, unknown, Scope.Scope>
}> = [
  {
    name: "SQLite file",
    skipped: undefined,
    database: Effect.sync(() => ["--db", join(mkdtempSync(join(tmpdir(), "restart-")), "assistants.db")])
  },
  {
    name: "PostgreSQL database",
    skipped: pgSkipped,
    database: Effect.map(freshPgUrl, (url) => ["--database-url", url])
  }
]

/** An assistant, a thread with one user message, and a run of it. */
const newRun = (url: string, content: string, tools: ReadonlyArray<unknown> = []) =>
  Effect.gen(function*() {
    const assistant = (yield* call(url, "POST", "/assistants", { model: "gpt-4o", tools })).body
    const thread = (yield* call(url, "POST", "/threads", { messages: [{ role: "user", content }] })).body
    const run = (yield* call(url, "POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id })).body
    assert.strictEqual(run.status, "queued")
    return { thread: thread.id as string, run: run.id as string }
  })

/** SIGKILL, as a crash: no finalizer runs. */
const crash = (child: Bin.Child) =>
  Effect.promise(() => {
    child.process.kill("SIGKILL")
    return child.exited
  })

for (const kind of kinds) {
  describe.skipIf(kind.skipped !== undefined)(`killed, then restarted on the same ${kind.name}`, () => {
    it.scopedLive(
      "during a model turn: the run finishes its turn after the restart, its reply written once",
      () =>
        Effect.gen(function*() {
          const db = yield* kind.database
          // slow steps: the reply's message is open for a while before it completes
          const first = yield* Bin.start([...db, "--queued-ms", "20", "--step-ms", "1500"])
          const { run, thread } = yield* newRun(first.url, "hello there")
          yield* until(replies(first.url, thread), (ms) => ms.some((m) => m.status === "in_progress"), "a reply open")
          assert.strictEqual((yield* getRun(first.url, thread, run)).status, "in_progress")
          const exit = yield* crash(first)
          assert.strictEqual(exit.signal, "SIGKILL")

          const second = yield* Bin.start([...db, "--queued-ms", "20", "--step-ms", "20"])
          const done = yield* until(getRun(second.url, thread, run), (r) => r.status === "completed", "completed")
          assert.isNotNull(done.usage)
          const written = yield* replies(second.url, thread)
          assert.strictEqual(written.length, 1)
          assert.strictEqual(written[0].status, "completed")
          assert.strictEqual(written[0].content[0].text.value, "You said: hello there")
          const all = yield* steps(second.url, thread, run)
          assert.deepStrictEqual(all.map((s) => [s.type, s.status]), [["message_creation", "completed"]])
          assert.strictEqual(all[0].step_details.message_creation.message_id, written[0].id)
        }),
      { timeout: 60_000 }
    )

    it.scopedLive(
      "a SIGTERM during a model turn does not wait for the turn; the run finishes after the restart",
      () =>
        Effect.gen(function*() {
          const db = yield* kind.database
          // each step of the turn takes 8 s: a stop that waited for the turn would take longer
          const first = yield* Bin.start([...db, "--queued-ms", "20", "--step-ms", "8000"])
          const { run, thread } = yield* newRun(first.url, "stop and go")
          yield* until(getRun(first.url, thread, run), (r) => r.status === "in_progress", "in_progress")
          const stopping = Date.now()
          first.process.kill("SIGTERM")
          const exit = yield* Effect.promise(() => first.exited)
          assert.strictEqual(exit.code, 0)
          // the turn in flight is cut (the runner waits 2 s for it) and resumed at the next start
          assert.isBelow(Date.now() - stopping, 6000)

          const second = yield* Bin.start([...db, "--queued-ms", "20", "--step-ms", "20"])
          yield* until(getRun(second.url, thread, run), (r) => r.status === "completed", "completed")
          const written = yield* replies(second.url, thread)
          assert.deepStrictEqual(written.map((m) => [m.status, m.content[0].text.value]), [[
            "completed",
            "You said: stop and go"
          ]])
          const all = yield* steps(second.url, thread, run)
          assert.deepStrictEqual(all.map((s) => [s.type, s.status]), [["message_creation", "completed"]])
        }),
      { timeout: 60_000 }
    )

    it.scopedLive(
      "during a requires_action wait: the run still takes its outputs after the restart",
      () =>
        Effect.gen(function*() {
          const db = yield* kind.database
          const first = yield* Bin.start([...db, "--queued-ms", "20", "--step-ms", "20"])
          const { run, thread } = yield* newRun(first.url, "get_weather for Paris", [weather])
          const waiting = yield* until(
            getRun(first.url, thread, run),
            (r) => r.status === "requires_action",
            "requires_action"
          )
          yield* crash(first)

          const second = yield* Bin.start([...db, "--queued-ms", "20", "--step-ms", "20"])
          const after = yield* getRun(second.url, thread, run)
          assert.strictEqual(after.status, "requires_action")
          assert.deepStrictEqual(after.required_action, waiting.required_action)
          const [toolCall] = after.required_action.submit_tool_outputs.tool_calls
          const submitted = yield* call(second.url, "POST", `/threads/${thread}/runs/${run}/submit_tool_outputs`, {
            tool_outputs: [{ tool_call_id: toolCall.id, output: "18C" }]
          })
          assert.strictEqual(submitted.status, 200)
          yield* until(getRun(second.url, thread, run), (r) => r.status === "completed", "completed")
          const all = yield* steps(second.url, thread, run)
          assert.deepStrictEqual(all.map((s) => [s.type, s.status]), [
            ["tool_calls", "completed"],
            ["message_creation", "completed"]
          ])
          assert.strictEqual(all[0].step_details.tool_calls[0].id, toolCall.id)
          assert.strictEqual(all[0].step_details.tool_calls[0].function.output, "18C")
          const written = yield* replies(second.url, thread)
          assert.strictEqual(written.length, 1)
          assert.strictEqual(written[0].content[0].text.value, "get_weather returned 18C")
        }),
      { timeout: 60_000 }
    )

    it.scopedLive(
      "during a streamed run: the run completes after the restart, each message once",
      () =>
        Effect.gen(function*() {
          const db = yield* kind.database
          const first = yield* Bin.start([...db, "--queued-ms", "20", "--step-ms", "1500"])
          const assistant = (yield* call(first.url, "POST", "/assistants", { model: "gpt-4o" })).body
          // read the stream until the reply's message is created, then kill the server under it
          const seen = yield* Effect.promise(async () => {
            const response = await fetch(`${first.url}/threads/runs`, {
              method: "POST",
              headers,
              body: JSON.stringify({
                assistant_id: assistant.id,
                stream: true,
                thread: { messages: [{ role: "user", content: "stream me" }] }
              })
            })
            const reader = response.body!.getReader()
            let text = ""
            while (!text.includes("event: thread.message.created")) {
              const { done, value } = await reader.read()
              if (done) break
              text += new TextDecoder().decode(value)
            }
            first.process.kill("SIGKILL")
            // the stream ends with the process: an error or an end, never a hang
            await reader.read().then(() => undefined, () => undefined)
            return text
          })
          yield* Effect.promise(() => first.exited)
          const thread = /"thread_id":"(thread_[^"]+)"/.exec(seen)![1]
          const run = /"id":"(run_[^"]+)"/.exec(seen)![1]

          const second = yield* Bin.start([...db, "--queued-ms", "20", "--step-ms", "20"])
          yield* until(getRun(second.url, thread, run), (r) => r.status === "completed", "completed")
          const written = yield* replies(second.url, thread)
          assert.strictEqual(written.length, 1)
          assert.strictEqual(written[0].content[0].text.value, "You said: stream me")
          const all = yield* steps(second.url, thread, run)
          assert.deepStrictEqual(all.map((s) => [s.type, s.status]), [["message_creation", "completed"]])
        }),
      { timeout: 60_000 }
    )

    it.scopedLive(
      "the upstream is not called again for a turn that had completed before the kill",
      () =>
        Effect.gen(function*() {
          const fake = yield* FakeUpstream.make("chat")
          const completion = (message: object, finish: string) => ({
            id: "chatcmpl-1",
            object: "chat.completion",
            created: 1,
            model: "llama3.2",
            choices: [{
              index: 0,
              message: { role: "assistant", refusal: null, ...message },
              finish_reason: finish,
              logprobs: null
            }],
            usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 }
          })
          fake.script(
            {
              _tag: "json",
              body: completion({
                content: null,
                tool_calls: [{
                  id: "up_1",
                  type: "function",
                  function: { name: "get_weather", arguments: "{\"city\":\"Oslo\"}" }
                }]
              }, "tool_calls")
            },
            { _tag: "json", body: completion({ content: "It is 3C in Oslo." }, "stop") }
          )
          const db = yield* kind.database
          const args = [
            ...db,
            "--queued-ms",
            "20",
            "--model-provider",
            "openai-chat",
            "--model-base-url",
            fake.url
          ]
          const first = yield* Bin.start(args)
          const { run, thread } = yield* newRun(first.url, "weather in Oslo?", [weather])
          yield* until(getRun(first.url, thread, run), (r) => r.status === "requires_action", "requires_action")
          assert.strictEqual(fake.requests.length, 1)
          yield* crash(first)

          const second = yield* Bin.start(args)
          const after = yield* getRun(second.url, thread, run)
          const [toolCall] = after.required_action.submit_tool_outputs.tool_calls
          yield* call(second.url, "POST", `/threads/${thread}/runs/${run}/submit_tool_outputs`, {
            tool_outputs: [{ tool_call_id: toolCall.id, output: "3C" }]
          })
          yield* until(getRun(second.url, thread, run), (r) => r.status === "completed", "completed")
          // one call per turn, across both processes: the second turn's call carries the first's output
          assert.strictEqual(fake.requests.length, 2)
          const sent = fake.requests[1].body.messages
          assert.strictEqual(sent[sent.length - 1].role, "tool")
          assert.strictEqual(sent[sent.length - 1].content, "3C")
          const written = yield* replies(second.url, thread)
          assert.deepStrictEqual(written.map((m) => m.content[0].text.value), ["It is 3C in Oslo."])
          assert.deepStrictEqual(fake.violations, [])
        }),
      { timeout: 60_000 }
    )
  })
}
