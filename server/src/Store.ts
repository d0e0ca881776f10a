/**
 * Where the server keeps its objects. Routes and the run engine only see this interface, so a
 * persistent store can replace the in-memory one without touching them.
 *
 * @since 0.1.0
 */
import type { Assistant } from "effect-assistants/Assistant"
import type { Message } from "effect-assistants/Message"
import type { Run } from "effect-assistants/Run"
import type { RunStep } from "effect-assistants/RunStep"
import type { Thread } from "effect-assistants/Thread"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ids from "./Ids.js"

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
 * One kind of object.
 *
 * @since 0.1.0
 * @category models
 */
export interface Table<A extends { readonly id: string }> {
  readonly get: (id: string) => Effect.Effect<A | undefined>
  readonly put: (value: A) => Effect.Effect<void>
  readonly delete: (id: string) => Effect.Effect<boolean>
  /** The objects `filter` keeps, oldest first. */
  readonly all: (filter: (a: A) => boolean) => Effect.Effect<ReadonlyArray<A>>
  readonly list: (query: PageQuery, filter: (a: A) => boolean) => Effect.Effect<Page<A>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Store extends Context.Tag("effect-assistants/server/Store")<Store, {
  readonly assistants: Table<Assistant>
  readonly threads: Table<Thread>
  readonly messages: Table<Message>
  readonly runs: Table<Run>
  readonly steps: Table<RunStep>
}>() {}

const position = (id: string): number => Ids.sequenceOf(id) ?? -1

/**
 * Pages `items` (oldest first) the way the API does: `after` and `before` are exclusive cursors in
 * the requested order, and `before` alone yields the `limit` items nearest the cursor.
 *
 * @since 0.1.0
 * @category pagination
 */
export const paginate = <A extends { readonly id: string }>(items: ReadonlyArray<A>, query: PageQuery): Page<A> => {
  let ordered = query.order === "asc" ? items : [...items].reverse()
  const asc = query.order === "asc"
  // cursors compare by the sequence their id carries, so a deleted cursor still has a place
  if (query.after !== undefined) {
    const p = position(query.after)
    ordered = ordered.filter((a) => (asc ? position(a.id) > p : position(a.id) < p))
  }
  let hasMore: boolean
  let data: ReadonlyArray<A>
  if (query.before !== undefined) {
    const p = position(query.before)
    ordered = ordered.filter((a) => (asc ? position(a.id) < p : position(a.id) > p))
    data = query.after === undefined
      ? ordered.slice(Math.max(0, ordered.length - query.limit))
      : ordered.slice(0, query.limit)
    hasMore = ordered.length > query.limit
  } else {
    data = ordered.slice(0, query.limit)
    hasMore = ordered.length > query.limit
  }
  return {
    object: "list",
    data,
    firstId: data.length > 0 ? data[0].id : null,
    lastId: data.length > 0 ? data[data.length - 1].id : null,
    hasMore
  }
}

const table = <A extends { readonly id: string }>(): Table<A> => {
  // Map keeps insertion order, and ids are created in order: iteration is oldest first.
  const rows = new Map<string, A>()
  return {
    get: (id) => Effect.sync(() => rows.get(id)),
    put: (value) => Effect.sync(() => void rows.set(value.id, value)),
    delete: (id) => Effect.sync(() => rows.delete(id)),
    all: (filter) => Effect.sync(() => [...rows.values()].filter(filter)),
    list: (query, filter) => Effect.sync(() => paginate([...rows.values()].filter(filter), query))
  }
}

/**
 * A store in memory, empty at start.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory = Effect.sync(() =>
  Store.of({
    assistants: table(),
    threads: table(),
    messages: table(),
    runs: table(),
    steps: table()
  })
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<Store> = Layer.effect(Store, makeMemory)
