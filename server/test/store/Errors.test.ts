/**
 * A database failure reaches the caller as the API's 500 `server_error`, naming what failed, and
 * the server goes on answering: a `StoreError` through the middleware, then the whole server on a
 * SQLite file that fills up (`PRAGMA max_page_count`) or turns read-only, during a request and
 * during a run.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import { AssistantsServer } from "effect-assistants-server"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { join } from "node:path"
import * as Model from "../../src/Model.js"
import * as Middleware from "../../src/routes/Middleware.js"
import * as Store from "../../src/Store.js"
import { StoreError } from "../../src/Store.js"
import { tempDir } from "./databases.js"

const router = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/v1/full",
    Effect.fail(new StoreError({ message: "could not write to messages: database or disk is full (SQLITE_FULL)" }))
  ),
  HttpRouter.get("/v1/fine", HttpServerResponse.text("fine"))
)

const Server = Layer.unwrapEffect(
  Effect.map(HttpRouter.toHttpApp(router), (app) => HttpServer.serve(Middleware.make()(app)))
).pipe(Layer.provideMerge(NodeHttpServer.layerTest))

describe("routes over a failing database", () => {
  it.live("a StoreError is a 500 server_error that says what failed; the next request is served", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const headers = { "OpenAI-Beta": "assistants=v2" }
      const failed = yield* client.get("/v1/full", { headers })
      assert.strictEqual(failed.status, 500)
      assert.deepStrictEqual(yield* failed.json, {
        error: {
          message: "The server's database failed: could not write to messages: database or disk is full (SQLITE_FULL).",
          type: "server_error",
          param: null,
          code: null
        }
      })
      const fine = yield* client.get("/v1/fine", { headers })
      assert.strictEqual(yield* fine.text, "fine")
    }).pipe(Effect.provide(Server)))
})

const post = (url: string, body: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "OpenAI-Beta": "assistants=v2", "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    return { status: response.status, body: await response.json() as any }
  })

const get = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers: { "OpenAI-Beta": "assistants=v2" } })
    return { status: response.status, body: await response.json() as any }
  })

/** The server on a fresh SQLite file, and the file's client. */
const served = (model?: Model.Model["Type"], logger: Layer.Layer<never> = Layer.empty) =>
  Effect.gen(function*() {
    const filename = join(yield* tempDir, "served.db")
    const database = yield* Layer.build(Store.layerSqlite({ filename }))
    const context = yield* Layer.build(
      AssistantsServer.layer({ database: Layer.succeedContext(database), model, timings: { queued: "1 millis" } }).pipe(
        Layer.provide(logger)
      )
    )
    return {
      url: Context.get(context, AssistantsServer.AssistantsServer).url,
      sql: Context.get(database, SqlClient.SqlClient)
    }
  })

/** Fills the file: no write that needs a new page succeeds until `mend`. */
const fill = (sql: SqlClient.SqlClient) =>
  Effect.flatMap(
    sql<{ page_count: number }>`PRAGMA page_count`,
    ([{ page_count }]) => sql.unsafe(`PRAGMA max_page_count = ${page_count}`)
  )
const mend = (sql: SqlClient.SqlClient) => sql.unsafe("PRAGMA max_page_count = 1073741823")

describe("the server on a SQLite file that fails", () => {
  for (
    const [what, breakIt, mendIt, reason, mendedFirst, left] of [
      [
        "full",
        fill,
        mend,
        "could not write to messages: database or disk is full (SQLITE_FULL)",
        false,
        // the message the turn had opened ends incomplete and empty, its step failed
        { messages: [["incomplete", { reason: "run_failed" }, []]], steps: ["failed"] }
      ],
      [
        "read-only",
        (sql: SqlClient.SqlClient) => sql.unsafe("PRAGMA query_only = ON"),
        (sql: SqlClient.SqlClient) => sql.unsafe("PRAGMA query_only = OFF"),
        // the turn's first write after the answer fails, and the failure itself cannot be
        // written until the file takes writes again
        "could not write to steps: attempt to write a readonly database (SQLITE_READONLY)",
        true,
        // that first write was the reply's step: nothing of the reply was written
        { messages: [], steps: [] }
      ]
    ] as const
  ) {
    it.live(
      `${what} during a run: the run fails with server_error saying so, nothing is left in progress`,
      () =>
        Effect.gen(function*() {
          // the model's answer waits until the file is broken, and is too long for the pages left
          const asked = yield* Deferred.make<void>()
          const answer = yield* Deferred.make<void>()
          const model: Model.Model["Type"] = {
            respond: () =>
              Effect.zipRight(
                Effect.zipRight(Deferred.succeed(asked, undefined), Deferred.await(answer)),
                Effect.succeed({ _tag: "Reply", text: "y".repeat(100_000) } as const)
              )
          }
          // the engine's log line when it could not write the run's failure
          const unwritten = yield* Deferred.make<void>()
          const logger = Logger.make(({ message }) => {
            if (String(message).includes("its failure is not written yet")) Deferred.unsafeDone(unwritten, Exit.void)
          })
          const { sql, url } = yield* served(model, Logger.add(logger))
          const assistant = yield* post(`${url}/assistants`, { model: "gpt-4o" })
          const thread = yield* post(`${url}/threads`, {})
          const run = yield* post(`${url}/threads/${thread.body.id}/runs`, { assistant_id: assistant.body.id })
          assert.strictEqual(run.status, 200)
          yield* Deferred.await(asked)
          yield* breakIt(sql)
          yield* Deferred.succeed(answer, undefined)
          if (mendedFirst) {
            yield* Deferred.await(unwritten)
            yield* mendIt(sql)
          }
          const runUrl = `${url}/threads/${thread.body.id}/runs/${run.body.id}`
          // the run's end is written by its workflow; each read is answered at once
          let ended: any = undefined
          for (let i = 0; i < 20_000 && ended === undefined; i++) {
            const read = yield* get(runUrl)
            assert.strictEqual(read.status, 200)
            if (!["queued", "in_progress"].includes(read.body.status)) ended = read.body
            else yield* Effect.yieldNow()
          }
          assert.strictEqual(ended?.status, "failed")
          assert.deepStrictEqual(ended.last_error, {
            code: "server_error",
            message: `The server's database failed: ${reason}.`
          })
          // nothing of the reply was kept, and nothing is left in progress
          const messages = yield* get(`${url}/threads/${thread.body.id}/messages`)
          assert.deepStrictEqual(
            messages.body.data.map((m: any) => [m.status, m.incomplete_details, m.content]),
            left.messages
          )
          const steps = yield* get(`${runUrl}/steps`)
          assert.deepStrictEqual(steps.body.data.map((step: any) => step.status), left.steps)
          // the run has ended: once the file takes writes, its thread takes messages again
          if (!mendedFirst) yield* mendIt(sql)
          const again = yield* post(`${url}/threads/${thread.body.id}/messages`, { role: "user", content: "hello" })
          assert.strictEqual(again.status, 200)
        }).pipe(Effect.scoped),
      60_000
    )
  }

  for (
    const [what, breakIt, mendIt, reason] of [
      [
        "full",
        fill,
        mend,
        "database or disk is full (SQLITE_FULL)"
      ],
      [
        "read-only",
        (sql: SqlClient.SqlClient) => sql.unsafe("PRAGMA query_only = ON"),
        (sql: SqlClient.SqlClient) => sql.unsafe("PRAGMA query_only = OFF"),
        "attempt to write a readonly database (SQLITE_READONLY)"
      ]
    ] as const
  ) {
    it.live(
      `${what}: a create is a 500 server_error saying so, reads go on, and writes once mended`,
      () =>
        Effect.gen(function*() {
          const { sql, url } = yield* served()
          const thread = yield* post(`${url}/threads`, {})
          assert.strictEqual(thread.status, 200)
          yield* breakIt(sql)
          const refused = yield* post(`${url}/threads/${thread.body.id}/messages`, {
            role: "user",
            content: "x".repeat(100_000)
          })
          assert.deepStrictEqual(refused, {
            status: 500,
            body: {
              error: {
                message: `The server's database failed: could not write to messages: ${reason}.`,
                type: "server_error",
                param: null,
                code: null
              }
            }
          })
          const read = yield* Effect.promise(() =>
            fetch(`${url}/threads/${thread.body.id}/messages`, { headers: { "OpenAI-Beta": "assistants=v2" } })
          )
          assert.strictEqual(read.status, 200)
          yield* mendIt(sql)
          const kept = yield* post(`${url}/threads/${thread.body.id}/messages`, { role: "user", content: "hello" })
          assert.strictEqual(kept.status, 200)
        }).pipe(Effect.scoped),
      60_000
    )
  }
})
