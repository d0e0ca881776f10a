/**
 * The stores the integration suites run the server over: memory, a SQLite file in a fresh
 * directory, and a fresh database on the PostgreSQL server `DATABASE_URL` names (skipped outside
 * CI when it is unset, as the store suites do: see server/test/store/databases.ts).
 *
 * Over SQLite and PostgreSQL the server keeps its runs in the same database, as durable workflows
 * (`ClusterWorkflowEngine` on a single runner), so a suite runs the whole server over the store,
 * not only its reads and writes.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { describe } from "@effect/vitest"
import type { Store } from "effect-assistants-server"
import * as Layer from "effect/Layer"
import { pgLayer, pgSkipped, sqliteLayer } from "../../server/test/store/databases.js"

export interface StoreKind {
  readonly name: "memory" | "sqlite" | "pg"
  /** Why the suites over it do not run here, or `undefined` when they do. */
  readonly skipped: string | undefined
  /**
   * `AssistantsServer.layer`'s `database` option: a fresh, empty store each time the server's
   * layer is built; `undefined` (memory) is the server's default.
   */
  readonly database: () => Layer.Layer<Store.Store | SqlClient.SqlClient> | undefined
}

// a database that cannot be made is a defect of the test's environment, not a case a test expects
export const stores: ReadonlyArray<StoreKind> = [
  { name: "memory", skipped: undefined, database: () => undefined },
  { name: "sqlite", skipped: undefined, database: () => Layer.orDie(sqliteLayer) },
  { name: "pg", skipped: pgSkipped, database: () => Layer.orDie(pgLayer) }
]

const title = (name: string, store: StoreKind): string =>
  `${name}, ${store.name} store${store.skipped === undefined ? "" : ` (skipped: ${store.skipped})`}`

/** `describe(name, body)` once per store, the store in the title; a skipped store's suite says why. */
export const describeStores = (name: string, body: (store: StoreKind) => void): void => {
  for (const store of stores) {
    describe.skipIf(store.skipped !== undefined)(title(name, store), () => body(store))
  }
}

type Mutable<Row extends ReadonlyArray<unknown>> = { -readonly [K in keyof Row]: Row[K] }

/** `describe.each(rows)(name, body)` once per store, as {@link describeStores}; the rows may depend on the store. */
export const describeStoresEach =
  <Row extends ReadonlyArray<unknown>>(rows: ReadonlyArray<Row> | ((store: StoreKind) => ReadonlyArray<Row>)) =>
  (name: string, body: (store: StoreKind, ...row: Mutable<Row>) => void): void => {
    for (const store of stores) {
      const table = (typeof rows === "function" ? rows(store) : rows).map((row) => [...row])
      describe.skipIf(store.skipped !== undefined).each(table)(
        title(name, store),
        (...row) => body(store, ...(row as unknown as Mutable<Row>))
      )
    }
  }
