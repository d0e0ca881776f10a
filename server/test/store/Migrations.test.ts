/**
 * A database written by an older version of the server is brought up to date when a store opens
 * it, on SQLite and on PostgreSQL: here, a database at the first migration, whose runs the second
 * migration (the `active` index) must sort into active and ended.
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { join } from "node:path"
import * as Ids from "../../src/Ids.js"
import * as Store from "../../src/Store.js"
import * as Pg from "../../src/store/Pg.js"
import * as Sql from "../../src/store/Sql.js"
import * as Sqlite from "../../src/store/Sqlite.js"
import { freshPgUrl, pgSkipped, tempDir } from "./databases.js"
import { message, run, thread } from "./fixtures.js"

interface Database {
  readonly name: string
  readonly skipped?: string | undefined
  /** A fresh database: a client on it as the old version opened one, and the store's layer. */
  readonly make: Effect.Effect<
    {
      readonly client: Effect.Effect<SqlClient.SqlClient, Store.StoreError, Scope.Scope>
      readonly store: Layer.Layer<Store.Store, Store.StoreError>
    },
    unknown,
    Scope.Scope
  >
}

const databases: ReadonlyArray<Database> = [
  {
    name: "sqlite",
    make: Effect.map(tempDir, (dir) => {
      const filename = join(dir, "old.db")
      return { client: Sqlite.open({ filename }), store: Store.layerSqlite({ filename }) }
    })
  },
  {
    name: "pg",
    skipped: pgSkipped,
    make: Effect.map(freshPgUrl, (url) => ({ client: Pg.open({ url }), store: Store.layerPg({ url }) }))
  }
]

for (const database of databases) {
  describe.skipIf(database.skipped !== undefined)(`migrations: ${database.name}`, () => {
    it.live(
      "a database at the first migration is migrated, its runs sorted into active and ended",
      () =>
        Effect.gen(function*() {
          const t = thread()
          const ended = run(t.id, "asst_x", "completed")
          const waiting = run(t.id, "asst_x", "requires_action")
          const m = message(t.id, "kept")
          const database_ = yield* database.make
          // the first version: its one migration, and its rows written as it wrote them (the
          // old client closes first: a SQLite file has one owner)
          yield* Effect.scoped(Effect.gen(function*() {
            const sql = yield* database_.client
            yield* Migrator.make({})({
              loader: Migrator.fromRecord({ "1_objects": Sql.migrations["1_objects"] }),
              table: Sql.migrationsTable
            }).pipe(Effect.provideService(SqlClient.SqlClient, sql))
            const json = (a: unknown) =>
              sql.onDialectOrElse({
                pg: () => sql`${JSON.stringify(a)}::json`,
                orElse: () => sql`${JSON.stringify(a)}`
              })
            const row = (table: string, a: { readonly id: string }, parents: Record<string, string | null>) => {
              const columns = ["id", "sort_key", ...Object.keys(parents), "data"].join(", ")
              const values = [a.id, Ids.keyOf(a.id) ?? "", ...Object.values(parents)].map((v) => sql`${v}`)
              return sql`INSERT INTO ${sql(table)} (${sql.literal(columns)}) VALUES (${sql.csv([...values, json(a)])})`
            }
            yield* row("threads", t, {})
            for (const r of [ended, waiting]) yield* row("runs", r, { thread_id: t.id })
            yield* row("messages", m, { thread_id: t.id, run_id: null })
          }))
          const store = yield* Effect.map(Layer.build(database_.store), Context.get(Store.Store))
          assert.strictEqual(yield* Store.activeRun(store.runs, t.id), waiting.id)
          assert.deepStrictEqual(yield* store.addMessage(message(t.id, "during the run")), {
            _tag: "ActiveRun",
            runId: waiting.id
          })
          assert.deepStrictEqual(yield* store.messages.get(m.id), m)
        }).pipe(Effect.scoped),
      60_000
    )
  })
}
