/**
 * What only a SQLite file shows: its objects outlive the process's store, one store owns a file,
 * and a database that is full, read-only or cannot be opened fails with a `StoreError` that says
 * so, while the store goes on serving.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { chmodSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Store from "../../src/Store.js"
import { tempDir } from "./databases.js"
import { assistant, message, thread } from "./fixtures.js"

/** The store on `filename` and its client, open until the scope closes. */
const open = (filename: string) =>
  Effect.map(Layer.build(Store.layerSqlite({ filename })), (context) => ({
    store: Context.get(context, Store.Store),
    sql: Context.get(context, SqlClient.SqlClient)
  }))

describe("Store.layerSqlite", () => {
  it.live("objects outlive the store that wrote them: a new one on the file reads them", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "a.db")
      const t = thread()
      const m = message(t.id, "kept")
      yield* Effect.scoped(Effect.gen(function*() {
        const { store } = yield* open(filename)
        yield* store.threads.put(t)
        yield* store.messages.put(m)
      }))
      const again = yield* Effect.scoped(Effect.gen(function*() {
        const { store } = yield* open(filename)
        return yield* store.messages.list({ limit: 20, order: "asc" }, { index: "thread", key: t.id })
      }))
      assert.deepStrictEqual(again.data, [m])
    }).pipe(Effect.scoped))

  it.live("a second store on a file another one serves fails at start, naming the file", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "owned.db")
      yield* open(filename)
      const error = yield* Effect.flip(Effect.scoped(open(filename)))
      assert.strictEqual(error._tag, "StoreError")
      assert.strictEqual(
        error.message,
        `${filename} is in use by another process: one server owns a SQLite database`
      )
    }).pipe(Effect.scoped))

  it.live("a file that cannot be opened fails at start with a StoreError naming it", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "missing-dir", "x.db")
      const error = yield* Effect.flip(Effect.scoped(open(filename)))
      assert.strictEqual(error._tag, "StoreError")
      assert.match(error.message, new RegExp(`^cannot open ${filename}: `))
    }).pipe(Effect.scoped))

  it.live("a file that is not a database fails at start with a StoreError naming it", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "not.db")
      writeFileSync(filename, "this is not a SQLite database, and it is long enough to have a header...")
      chmodSync(filename, 0o600)
      const error = yield* Effect.flip(Effect.scoped(open(filename)))
      assert.match(error.message, new RegExp(`^cannot open ${filename}: file is not a database`))
    }).pipe(Effect.scoped))

  it.live("a full database fails the write with a StoreError, and the store goes on serving", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "full.db")
      const { sql, store } = yield* open(filename)
      const t = thread()
      yield* store.threads.put(t)
      const [{ page_count }] = yield* sql<{ page_count: number }>`PRAGMA page_count`
      yield* sql.unsafe(`PRAGMA max_page_count = ${page_count}`)
      const big = { ...message(t.id, "x".repeat(64 * 1024)) }
      const error = yield* Effect.flip(store.messages.put(big))
      assert.strictEqual(error._tag, "StoreError")
      assert.strictEqual(error.message, "could not write to messages: database or disk is full (SQLITE_FULL)")
      // reads go on, and so do writes once there is room
      assert.deepStrictEqual(yield* store.threads.get(t.id), t)
      yield* sql.unsafe(`PRAGMA max_page_count = 1000000`)
      yield* store.messages.put(big)
      assert.deepStrictEqual(yield* store.messages.get(big.id), big)
    }).pipe(Effect.scoped))

  it.live("writes committed together: one that fails is alone in failing, the others are kept", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "batch.db")
      const { sql, store } = yield* open(filename)
      const t = thread()
      yield* store.threads.put(t)
      const [{ page_count }] = yield* sql<{ page_count: number }>`PRAGMA page_count`
      // room for small messages, none for a big one
      yield* sql.unsafe(`PRAGMA max_page_count = ${page_count + 8}`)
      const small = Array.from({ length: 20 }, (_, i) => message(t.id, `small ${i}`))
      const big = message(t.id, "x".repeat(256 * 1024))
      const writes = [...small.slice(0, 10), big, ...small.slice(10)]
      const outcomes = yield* Effect.forEach(writes, (m) => Effect.either(store.messages.put(m)), {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual(outcomes.map((o) => o._tag), writes.map((m) => m === big ? "Left" : "Right"))
      assert.deepStrictEqual(
        (yield* store.messages.children({ index: "thread", key: t.id })).map((m) => m.id),
        small.map((m) => m.id)
      )
    }).pipe(Effect.scoped))

  it.live("a read-only database fails the write with a StoreError, and reads go on", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "readonly.db")
      const { sql, store } = yield* open(filename)
      const a = assistant()
      yield* store.assistants.put(a)
      // what a file on a read-only mount (or one made read-only under the server) answers
      yield* sql.unsafe("PRAGMA query_only = ON")
      const error = yield* Effect.flip(store.assistants.put(assistant()))
      assert.strictEqual(error._tag, "StoreError")
      assert.strictEqual(
        error.message,
        "could not write to assistants: attempt to write a readonly database (SQLITE_READONLY)"
      )
      assert.deepStrictEqual(yield* store.assistants.get(a.id), a)
    }).pipe(Effect.scoped))
})
