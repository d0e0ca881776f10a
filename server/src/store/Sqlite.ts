/**
 * Opening a SQLite database for the store: WAL with `synchronous=FULL`, so a write that was
 * answered survives a power loss, and an exclusive lock held while the process lives, so that one
 * server owns the file. The lock is SQLite's own file lock: the system drops it when the process
 * ends, however it ends, so a killed server never leaves its file locked.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { fromCause } from "./Sql.js"
import { StoreError } from "./Table.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The database file, created when missing. */
  readonly filename: string
  /** How long a statement waits for a lock before it fails. Default 5 seconds. */
  readonly busyTimeoutMillis?: number | undefined
}

const isBusy = (cause: Cause.Cause<unknown>) => {
  const error: any = Cause.squash(cause)
  const code = error?.cause?.code ?? error?.code
  return typeof code === "string" && code.startsWith("SQLITE_BUSY")
}

/**
 * Opens `filename` and takes its lock; fails with one sentence naming the file when it cannot be
 * opened or another process serves it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const open = (options: Options): Effect.Effect<SqlClient.SqlClient, StoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const { filename } = options
    // the driver opens the file as it builds the client: a file it cannot open is a defect there
    const client = yield* SqliteClient.make({ filename, disableWAL: true }).pipe(
      Effect.provide(Reactivity.layer),
      Effect.catchAllDefect((defect) => Effect.fail(fromCause(`cannot open ${filename}`, Cause.die(defect))))
    )
    const setUp = Effect.gen(function*() {
      // set before the first access, so the lock is held from then on and WAL needs no shared
      // memory file; a lock that another process holds fails at once
      yield* client.unsafe("PRAGMA busy_timeout = 0")
      yield* client.unsafe("PRAGMA locking_mode = EXCLUSIVE")
      yield* client.unsafe("PRAGMA journal_mode = WAL")
      yield* client.unsafe("PRAGMA synchronous = FULL")
      // a write takes the exclusive lock; only reads happen until a migration or a request writes
      yield* client.unsafe("CREATE TABLE IF NOT EXISTS effect_assistants_owner (id INTEGER PRIMARY KEY, pid INTEGER)")
      yield* client.unsafe(`INSERT OR REPLACE INTO effect_assistants_owner (id, pid) VALUES (1, ${process.pid})`)
      yield* client.unsafe(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMillis ?? 5000))}`)
    })
    yield* setUp.pipe(
      Effect.catchAllCause((cause) =>
        Effect.fail(
          isBusy(cause)
            ? new StoreError({
              message: `${filename} is in use by another process: one server owns a SQLite database`,
              cause: Cause.squash(cause)
            })
            : fromCause(`cannot open ${filename}`, cause)
        )
      )
    )
    return client
  })
