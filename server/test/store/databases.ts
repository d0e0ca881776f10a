/**
 * The stores the suites run over: memory, a SQLite file in a fresh directory, and a fresh
 * database on the PostgreSQL server `DATABASE_URL` names.
 *
 * PostgreSQL: in CI (`CI=true`) a missing or unreachable server fails the suites; elsewhere, an
 * unset `DATABASE_URL` skips them and says so (`.ci/postgres.sh start` provides one).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Store from "../../src/Store.js"
import * as Pg from "../../src/store/Pg.js"

export const databaseUrl: string | undefined = process.env.DATABASE_URL || undefined
const inCi = process.env.CI === "true"

/** Why the PostgreSQL suites do not run here, or `undefined` when they do. */
export const pgSkipped: string | undefined = databaseUrl === undefined && !inCi
  ? "DATABASE_URL is unset: start a server with `eval \"$(.ci/postgres.sh start)\"`"
  : undefined

/** A directory under the system's temporary one, removed when the scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "effect-assistants-store-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const admin = (statement: string) =>
  Effect.scoped(Effect.flatMap(Pg.open({ url: databaseUrl!, maxConnections: 1 }), (sql) => sql.unsafe(statement)))

/** A database of its own on the server, dropped when the scope closes. */
export const freshPgUrl: Effect.Effect<string, Store.StoreError | Error, Scope.Scope> = Effect.gen(function*() {
  if (databaseUrl === undefined) {
    return yield* Effect.fail(new Error("CI=true but DATABASE_URL is unset: CI must provide PostgreSQL (.ci/run)"))
  }
  const name = `ea_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  yield* Effect.acquireRelease(
    admin(`CREATE DATABASE ${name}`),
    () => Effect.ignore(admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  )
  const url = new URL(databaseUrl)
  url.pathname = `/${name}`
  return url.toString()
})

export interface Kind {
  readonly name: "memory" | "sqlite" | "pg"
  /** Why it is skipped here, if it is. */
  readonly skipped?: string | undefined
  /** A fresh, empty store. */
  readonly layer: Layer.Layer<Store.Store, unknown>
}

/** A fresh SQLite file's store. */
export const sqliteLayer = Layer.unwrapScoped(
  Effect.map(tempDir, (dir) => Store.layerSqlite({ filename: join(dir, "store.db") }))
)

/** A fresh PostgreSQL database's store. */
export const pgLayer = Layer.unwrapScoped(Effect.map(freshPgUrl, (url) => Store.layerPg({ url })))

export const kinds: ReadonlyArray<Kind> = [
  { name: "memory", layer: Store.layerMemory },
  { name: "sqlite", layer: sqliteLayer },
  { name: "pg", skipped: pgSkipped, layer: pgLayer }
]
