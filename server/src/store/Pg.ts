/**
 * Connecting to PostgreSQL for the store: a pool of connections; a write is answered once it is
 * committed.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as PgClient from "@effect/sql-pg/PgClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { failWith } from "./Sql.js"
import type { StoreError } from "./Table.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `postgres://user:password@host:port/database` */
  readonly url: string | Redacted.Redacted<string>
  /** Connections in the pool. Default 10. */
  readonly maxConnections?: number | undefined
}

/**
 * The URL without its password, to name the database in messages.
 *
 * @since 0.1.0
 * @category getters
 */
export const describe = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return "the PostgreSQL database"
  }
}

/**
 * Connects to the database; fails with one sentence naming it when it cannot.
 *
 * @since 0.1.0
 * @category constructors
 */
export const open = (options: Options): Effect.Effect<SqlClient.SqlClient, StoreError, Scope.Scope> => {
  const url = Redacted.isRedacted(options.url) ? options.url : Redacted.make(options.url)
  return PgClient.make({ url, maxConnections: options.maxConnections ?? 10, applicationName: "effect-assistants" })
    .pipe(
      Effect.provide(Reactivity.layer),
      failWith(`cannot connect to ${describe(Redacted.value(url))}`)
    )
}
