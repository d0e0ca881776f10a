/**
 * What every store implements: one `Table` per kind of object, its pages, and the error a database
 * fails with. The memory store and the SQL stores are built against these shapes.
 *
 * @since 0.1.0
 */
import type { Assistant } from "effect-assistants/Assistant"
import type { Message } from "effect-assistants/Message"
import { type Run, terminalStatuses } from "effect-assistants/Run"
import type { RunStep } from "effect-assistants/RunStep"
import type { Thread } from "effect-assistants/Thread"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"

/**
 * A database that failed: it could not be reached, is full, read-only, or refused a statement.
 * The routes answer it with a 500 `server_error` naming `message`; the process goes on.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * @since 0.1.0
 * @category refinements
 */
export const isStoreError = (u: unknown): u is StoreError => Predicate.isTagged(u, "StoreError")

/**
 * What a client is told of a failed database, in an error body and in a run's `last_error` alike.
 *
 * @since 0.1.0
 * @category errors
 */
export const databaseFailed = (error: StoreError): string => `The server's database failed: ${error.message}.`

/**
 * A page request, already checked.
 *
 * @since 0.1.0
 * @category models
 */
export interface PageQuery {
  readonly limit: number
  readonly order: "asc" | "desc"
  readonly after?: string | undefined
  readonly before?: string | undefined
}

/**
 * A page of objects, in the API's shape once encoded.
 *
 * @since 0.1.0
 * @category models
 */
export interface Page<A> {
  readonly object: "list"
  readonly data: ReadonlyArray<A>
  readonly firstId: string | null
  readonly lastId: string | null
  readonly hasMore: boolean
}

/**
 * The objects that share a parent: `{ index: "thread", key: threadId }`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Scope<Index extends string> {
  readonly index: Index
  readonly key: string
}

/**
 * What a page keeps beyond its scope. `also` is a second parent the objects must share (a run's
 * messages in the thread the path names): a store answers it on its indexes. `filter` is any other
 * condition, checked object by object while the page is filled.
 *
 * @since 0.1.0
 * @category models
 */
export interface Where<A, Index extends string> {
  readonly also?: Scope<Index> | undefined
  readonly filter?: ((a: A) => boolean) | undefined
}

/**
 * One kind of object. `Index` names the parents its objects are listed under.
 *
 * @since 0.1.0
 * @category models
 */
export interface Table<A extends { readonly id: string }, Index extends string = never> {
  readonly get: (id: string) => Effect.Effect<A | undefined, StoreError>
  /** Creates the object, or replaces the one with its id. */
  readonly put: (value: A) => Effect.Effect<void, StoreError>
  readonly delete: (id: string) => Effect.Effect<boolean, StoreError>
  /** Every object `filter` keeps, oldest first: a scan of the whole table. */
  readonly all: (filter: (a: A) => boolean) => Effect.Effect<ReadonlyArray<A>, StoreError>
  /** The objects under one parent, oldest first. */
  readonly children: (scope: Scope<Index>) => Effect.Effect<ReadonlyArray<A>, StoreError>
  /** Deletes the objects under one parent; how many there were. */
  readonly deleteChildren: (scope: Scope<Index>) => Effect.Effect<number, StoreError>
  /** A page of the objects under one parent (every object without `scope`). */
  readonly list: (
    query: PageQuery,
    scope?: Scope<Index> | undefined,
    where?: Where<A, Index> | undefined
  ) => Effect.Effect<Page<A>, StoreError>
}

/**
 * What {@link Service.addMessage} did.
 *
 * @since 0.1.0
 * @category models
 */
export type AddMessage =
  | { readonly _tag: "Added" }
  | { readonly _tag: "NoThread" }
  | { readonly _tag: "ActiveRun"; readonly runId: string }

/**
 * The thread a run is listed under in the `active` index: its own while it has not ended, none
 * after.
 *
 * @since 0.1.0
 * @category indexes
 */
export const activeThreadOf = (run: Run): string | null => terminalStatuses.has(run.status) ? null : run.threadId

/**
 * The id of the thread's run that has not ended, if it has one (the newest, should there be two).
 *
 * @since 0.1.0
 * @category lookups
 */
export const activeRun = (
  runs: Table<Run, "thread" | "active">,
  threadId: string
): Effect.Effect<string | undefined, StoreError> =>
  Effect.map(runs.list({ limit: 1, order: "desc" }, { index: "active", key: threadId }), (page) => page.data[0]?.id)

/**
 * The store's tables, and how writes that belong together become one.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly assistants: Table<Assistant>
  readonly threads: Table<Thread>
  /** Under their thread and, for a run's replies, under their run. */
  readonly messages: Table<Message, "thread" | "run">
  /**
   * Under their thread and, while they have not ended, under `active` too (keyed by the thread):
   * a thread's active run is one index read.
   */
  readonly runs: Table<Run, "thread" | "active">
  readonly steps: Table<RunStep, "run">
  /**
   * Adds a user's message to its thread in one step, unless the thread does not exist or has a run
   * that has not ended: then nothing is written, and the answer says which. One step, so that no
   * run can start between the check and the write.
   */
  readonly addMessage: (message: Message) => Effect.Effect<AddMessage, StoreError>
  /**
   * Runs `self` as one transaction: its writes are all kept or none is. Nested calls join the
   * outer transaction. In memory every write is already atomic: `self` runs as it is.
   */
  readonly transaction: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StoreError, R>
}
