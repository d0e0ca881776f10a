/**
 * The server answers alike over every store: one scenario of the API (assistants, threads,
 * messages with every list query and the `run_id` filter, a streamed run to its end, its steps,
 * modifies and deletes) is sent to the server over memory, SQLite and PostgreSQL, and every
 * response body, ids and times put aside, is the same text.
 */
import { assert, describe, it } from "@effect/vitest"
import { AssistantsServer } from "effect-assistants-server"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { join } from "node:path"
import * as Store from "../../src/Store.js"
import { freshPgUrl, pgSkipped, tempDir } from "./databases.js"

const fast = { queued: "1 millis", step: "2 millis", cancelling: "1 millis", pollAfterMillis: 5 } as const

type Send = (method: string, path: string, body?: unknown) => Effect.Effect<{ status: number; text: string }>

const sender = (url: string): Send => (method, path, body) =>
  Effect.promise(async () => {
    const response = await fetch(url + path, {
      method,
      headers: { "OpenAI-Beta": "assistants=v2", "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: response.status, text: await response.text() }
  })

/** The scenario; each answer is recorded as `status text`. */
const scenario = (send: Send) =>
  Effect.gen(function*() {
    const log: Array<string> = []
    const call = (method: string, path: string, body?: unknown) =>
      Effect.map(send(method, path, body), (r) => {
        log.push(`${method} ${path} -> ${r.status} ${r.text}`)
        return r.status < 300 && r.text.startsWith("{") ? JSON.parse(r.text) : r.text
      })
    const assistant = yield* call("POST", "/assistants", {
      model: "gpt-4o",
      name: "Tutor",
      metadata: { zeta: "1", alpha: "2" },
      tools: [{ type: "code_interpreter" }]
    })
    yield* call("POST", "/assistants", { model: "gpt-4o-mini" })
    yield* call("GET", "/assistants?limit=1&order=asc")
    yield* call("POST", `/assistants/${assistant.id}`, { metadata: { edited: "yes" } })
    const thread = yield* call("POST", "/threads", {
      messages: [
        { role: "user", content: "first" },
        { role: "user", content: [{ type: "text", text: "second ✓ \u0000 \ud83d\ude00" }] },
        { role: "assistant", content: "third", metadata: { b: "1", a: "2" } }
      ],
      metadata: { topic: "algebra" }
    })
    const made = yield* call("POST", `/threads/${thread.id}/messages`, { role: "user", content: "fourth" })
    const page = yield* call("GET", `/threads/${thread.id}/messages?order=asc`)
    const ids: Array<string> = page.data.map((m: any) => m.id)
    for (const q of ["", "?order=asc", "?limit=2", "?limit=2&order=asc"]) {
      yield* call("GET", `/threads/${thread.id}/messages${q}`)
    }
    for (const cursor of ids) {
      for (const q of ["after", "before"]) {
        for (const order of ["asc", "desc"]) {
          yield* call("GET", `/threads/${thread.id}/messages?limit=2&order=${order}&${q}=${cursor}`)
        }
      }
    }
    yield* call("GET", `/threads/${thread.id}/messages?after=${ids[0]}&before=${ids[3]}&order=asc`)
    yield* call("POST", `/threads/${thread.id}/messages/${made.id}`, { metadata: { k: "v" } })
    yield* call("GET", `/threads/${thread.id}/messages/${made.id}`)
    yield* call("DELETE", `/threads/${thread.id}/messages/${made.id}`)
    yield* call("GET", `/threads/${thread.id}/messages/${made.id}`)
    // a streamed run, read to its end: no waiting on the clock for its state
    const stream = yield* send("POST", `/threads/${thread.id}/runs`, { assistant_id: assistant.id, stream: true })
    assert.strictEqual(stream.status, 200)
    const runId = /"id":"(run_[0-9a-z]{24})"/.exec(stream.text)![1]
    const run = yield* call("GET", `/threads/${thread.id}/runs/${runId}`)
    assert.strictEqual(run.status, "completed")
    yield* call("GET", `/threads/${thread.id}/runs`)
    yield* call("GET", `/threads/${thread.id}/runs/${runId}/steps?order=asc`)
    yield* call("GET", `/threads/${thread.id}/messages?run_id=${runId}`)
    const other = yield* call("POST", "/threads", {})
    yield* call("GET", `/threads/${other.id}/messages?run_id=${runId}`)
    yield* call("POST", `/threads/${thread.id}/runs/${runId}`, { metadata: { done: "yes" } })
    // createThreadAndRun, then the assistant goes: its runs keep its id
    const both = yield* send("POST", "/threads/runs", {
      assistant_id: assistant.id,
      thread: { messages: [{ role: "user", content: "hi" }] },
      stream: true
    })
    const second = /"id":"(run_[0-9a-z]{24})","object":"thread\.run"[^}]*"thread_id":"(thread_[0-9a-z]{24})"/.exec(
      both.text
    )!
    yield* call("DELETE", `/assistants/${assistant.id}`)
    yield* call("GET", `/threads/${second[2]}/runs/${second[1]}`)
    yield* call("DELETE", `/threads/${thread.id}`)
    yield* call("GET", `/threads/${thread.id}`)
    yield* call("GET", `/threads/${thread.id}/runs/${runId}`)
    yield* call("GET", `/threads/${thread.id}/messages`)
    yield* call("GET", "/assistants")
    return log
  })

/** Ids become their order of appearance and times 0: what differs between two runs of a scenario. */
const normalize = (log: ReadonlyArray<string>) => {
  const seen = new Map<string, string>()
  return log.map((line) =>
    line
      .replace(/\b(asst|thread|msg|run|step|call)_[0-9a-z]{24}\b/g, (id) => {
        if (!seen.has(id)) seen.set(id, `${id.split("_")[0]}#${seen.size}`)
        return seen.get(id)!
      })
      .replace(/"(created_at|completed_at|started_at|expires_at|cancelled_at|failed_at|expired_at)":\d+/g, "\"$1\":0")
  )
}

const serve = <E>(database?: Layer.Layer<Store.Store | import("@effect/sql/SqlClient").SqlClient, E>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      AssistantsServer.layer({ timings: fast, ...(database ? { database: Layer.orDie(database) } : {}) })
    )
    const { url } = yield* Effect.provide(AssistantsServer.AssistantsServer, context)
    return normalize(yield* scenario(sender(url)))
  })

describe("the server over each store", () => {
  it.live("SQLite answers the scenario as memory does, byte for byte", () =>
    Effect.gen(function*() {
      const memory = yield* Effect.scoped(serve())
      const filename = join(yield* tempDir, "served.db")
      const sqlite = yield* Effect.scoped(serve(Store.layerSqlite({ filename })))
      assert.isAbove(memory.length, 40)
      assert.deepStrictEqual(sqlite, memory)
    }).pipe(Effect.scoped), 120_000)

  it.live.skipIf(pgSkipped !== undefined)(
    `PostgreSQL answers the scenario as memory does, byte for byte${pgSkipped ? ` (skipped: ${pgSkipped})` : ""}`,
    () =>
      Effect.gen(function*() {
        const memory = yield* Effect.scoped(serve())
        const url = yield* freshPgUrl
        const pg = yield* Effect.scoped(serve(Store.layerPg({ url })))
        assert.deepStrictEqual(pg, memory)
      }).pipe(Effect.scoped),
    120_000
  )
})
