/**
 * Where the server keeps its objects. Routes and the run engine only see this interface; three
 * stores implement it: memory (tests, `--memory`), SQLite (one file, the bin's default) and
 * PostgreSQL (a server the team runs), the last two over `@effect/sql` (see `store/Sql`).
 *
 * Lists are indexed: the messages and runs of a thread, the messages and steps of a run, each in
 * creation order. A page costs its own size plus a search for the cursor, however many objects
 * the store holds elsewhere.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { Message } from "effect-assistants/Message"
import type { Run } from "effect-assistants/Run"
import type { RunStep } from "effect-assistants/RunStep"
import type { Thread } from "effect-assistants/Thread"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as EffectScope from "effect/Scope"
import * as Ids from "./Ids.js"
import type * as Pg from "./store/Pg.js"
import * as Sql from "./store/Sql.js"
import type * as Sqlite from "./store/Sqlite.js"
import {
  activeRun,
  activeThreadOf,
  type AddMessage,
  type Page,
  type PageQuery,
  type Scope,
  type Service,
  type StoreError,
  type Table
} from "./store/Table.js"

export type {
  /**
   * @since 0.1.0
   * @category models
   */
  AddMessage,
  /**
   * @since 0.1.0
   * @category models
   */
  Page,
  /**
   * @since 0.1.0
   * @category models
   */
  PageQuery,
  /**
   * @since 0.1.0
   * @category models
   */
  Scope,
  /**
   * @since 0.1.0
   * @category models
   */
  Service,
  /**
   * @since 0.1.0
   * @category models
   */
  Table,
  /**
   * @since 0.1.0
   * @category models
   */
  Where
} from "./store/Table.js"

export {
  /**
   * @since 0.1.0
   * @category lookups
   */
  activeRun,
  /**
   * @since 0.1.0
   * @category indexes
   */
  activeThreadOf,
  /**
   * @since 0.1.0
   * @category errors
   */
  databaseFailed,
  /**
   * @since 0.1.0
   * @category refinements
   */
  isStoreError,
  /**
   * @since 0.1.0
   * @category errors
   */
  StoreError
} from "./store/Table.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class Store extends Context.Tag("effect-assistants/server/Store")<Store, Service>() {}

/** The order of an id; an id that is not one of ours sorts first. */
const keyOf = (id: string): string => Ids.keyOf(id) ?? ""

/** The first position in `keys` whose key is `>= key` (`> key` when `strict`). */
const search = (keys: ReadonlyArray<string>, key: string, strict: boolean): number => {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (keys[mid] < key || (strict && keys[mid] === key)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * Pages a sorted index the way the API does: `after` and `before` are exclusive cursors in the
 * requested order, and `before` alone yields the `limit` items nearest the cursor. `keys` are the
 * ids' order keys, ascending; `at(i)` is the object at position `i`.
 *
 * @since 0.1.0
 * @category pagination
 */
export const paginateSorted = <A extends { readonly id: string }>(
  keys: ReadonlyArray<string>,
  at: (i: number) => A | undefined,
  query: PageQuery,
  filter?: ((a: A) => boolean) | undefined
): Page<A> => {
  const asc = query.order === "asc"
  // the positions [lo, hi) of the ascending index that the cursors leave
  let lo = 0
  let hi = keys.length
  const after = query.after === undefined ? undefined : keyOf(query.after)
  const before = query.before === undefined ? undefined : keyOf(query.before)
  if (after !== undefined) {
    if (asc) lo = Math.max(lo, search(keys, after, true))
    else hi = Math.min(hi, search(keys, after, false))
  }
  if (before !== undefined) {
    if (asc) hi = Math.min(hi, search(keys, before, false))
    else lo = Math.max(lo, search(keys, before, true))
  }
  // the page starts at the end nearest the cursor that anchors it: `before` alone anchors at the
  // cursor, otherwise the page starts where the requested order starts
  const fromHigh = before !== undefined && after === undefined ? asc : !asc
  const found: Array<A> = []
  for (let n = 0; n < hi - lo && found.length <= query.limit; n++) {
    const a = at(fromHigh ? hi - 1 - n : lo + n)
    if (a !== undefined && (filter === undefined || filter(a))) found.push(a)
  }
  const hasMore = found.length > query.limit
  if (hasMore) found.pop()
  // collected against the requested order: turn it around
  if (fromHigh === asc) found.reverse()
  return {
    object: "list",
    data: found,
    firstId: found.length > 0 ? found[0].id : null,
    lastId: found.length > 0 ? found[found.length - 1].id : null,
    hasMore
  }
}

/**
 * Pages `items` (oldest first) the way the API does; see {@link paginateSorted}.
 *
 * @since 0.1.0
 * @category pagination
 */
export const paginate = <A extends { readonly id: string }>(items: ReadonlyArray<A>, query: PageQuery): Page<A> =>
  paginateSorted(items.map((a) => keyOf(a.id)), (i) => items[i], query)

/**
 * The ids under one parent, sorted by their order keys. A delete only counts the entry as dead
 * (its row is gone); the arrays are compacted once half their entries are dead, so a delete costs
 * amortized constant time and pages skip at most as many dead entries as they hold live ones.
 */
interface Sorted {
  keys: Array<string>
  ids: Array<string>
  dead: number
}

const emptySorted = (): Sorted => ({ keys: [], ids: [], dead: 0 })

/**
 * A table in memory whose objects are listed under the parents `indexes` name: `undefined` or
 * `null` from an index function leaves the object out of that index.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTable = <A extends { readonly id: string }, Index extends string = never>(
  indexes: { readonly [K in Index]: (a: A) => string | null | undefined } = {} as any
): Table<A, Index> => {
  const rows = new Map<string, A>()
  const everything = emptySorted()
  const names = Object.keys(indexes) as Array<Index>
  const byIndex = new Map<Index, Map<string, Sorted>>(names.map((name) => [name, new Map()]))
  const sortedOf = (scope: Scope<Index> | undefined): Sorted | undefined =>
    scope === undefined ? everything : byIndex.get(scope.index)?.get(scope.key)
  const parentOf = (name: Index, value: A) => indexes[name](value) ?? undefined

  /** Adds `id` (whose row exists): a dead entry of the same id comes back to life. */
  const insert = (sorted: Sorted, id: string) => {
    const key = keyOf(id)
    const { ids, keys } = sorted
    // ids are made in order, so a new one almost always goes last
    if (keys.length === 0 || keys[keys.length - 1] < key) {
      keys.push(key)
      ids.push(id)
      return
    }
    let at = search(keys, key, false)
    for (; at < keys.length && keys[at] === key; at++) {
      if (ids[at] === id) {
        sorted.dead--
        return
      }
    }
    keys.splice(at, 0, key)
    ids.splice(at, 0, id)
  }
  /** Counts one entry (whose row is gone, or moved to another parent) as dead. */
  const kill = (sorted: Sorted, alive: (id: string) => boolean): boolean => {
    sorted.dead++
    if (sorted.dead * 2 <= sorted.ids.length) return sorted.ids.length > 0
    const keys: Array<string> = []
    const ids: Array<string> = []
    for (let i = 0; i < sorted.ids.length; i++) {
      if (alive(sorted.ids[i])) {
        keys.push(sorted.keys[i])
        ids.push(sorted.ids[i])
      }
    }
    sorted.keys = keys
    sorted.ids = ids
    sorted.dead = 0
    return ids.length > 0
  }
  const index = (name: Index, key: string, id: string) => {
    const parents = byIndex.get(name)!
    let sorted = parents.get(key)
    if (sorted === undefined) parents.set(key, sorted = emptySorted())
    insert(sorted, id)
  }
  const unindex = (name: Index, key: string) => {
    const parents = byIndex.get(name)!
    const sorted = parents.get(key)
    if (sorted === undefined) return
    const alive = (id: string) => {
      const row = rows.get(id)
      return row !== undefined && parentOf(name, row) === key
    }
    if (!kill(sorted, alive)) parents.delete(key)
  }

  const put = (value: A) => {
    const previous = rows.get(value.id)
    rows.set(value.id, value)
    if (previous !== undefined) {
      // a parent never changes in this API; if a caller changes one, the indexes follow
      for (const name of names) {
        const before = parentOf(name, previous)
        const now = parentOf(name, value)
        if (before === now) continue
        if (before !== undefined) unindex(name, before)
        if (now !== undefined) index(name, now, value.id)
      }
      return
    }
    insert(everything, value.id)
    for (const name of names) {
      const key = parentOf(name, value)
      if (key !== undefined) index(name, key, value.id)
    }
  }
  const del = (id: string) => {
    const previous = rows.get(id)
    if (previous === undefined) return false
    rows.delete(id)
    kill(everything, (id) => rows.has(id))
    for (const name of names) {
      const key = parentOf(name, previous)
      if (key !== undefined) unindex(name, key)
    }
    return true
  }
  /** The live rows under one parent, oldest first. */
  const live = (scope: Scope<Index>): Array<A> => {
    const out: Array<A> = []
    const sorted = sortedOf(scope)
    if (sorted === undefined) return out
    for (const id of sorted.ids) {
      const row = rows.get(id)
      if (row !== undefined && parentOf(scope.index, row) === scope.key) out.push(row)
    }
    return out
  }
  return {
    get: (id) => Effect.sync(() => rows.get(id)),
    put: (value) => Effect.sync(() => put(value)),
    delete: (id) => Effect.sync(() => del(id)),
    // rows keep their first put's order, the order ids were made in
    all: (filter) => Effect.sync(() => [...rows.values()].filter(filter)),
    children: (scope) => Effect.sync(() => live(scope)),
    deleteChildren: (scope) =>
      Effect.sync(() => {
        const doomed = live(scope)
        for (const row of doomed) del(row.id)
        return doomed.length
      }),
    list: (query, scope, where) =>
      Effect.sync(() => {
        const sorted = sortedOf(scope) ?? emptySorted()
        const also = where?.also
        const at = (i: number) => {
          const row = rows.get(sorted.ids[i])
          return row !== undefined && (scope === undefined || parentOf(scope.index, row) === scope.key) &&
              (also === undefined || parentOf(also.index, row) === also.key)
            ? row
            : undefined
        }
        return paginateSorted(sorted.keys, at, query, where?.filter)
      })
  }
}

/**
 * A store in memory, empty at start.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<Service> = Effect.sync(() => {
  const threads = makeTable<Thread>()
  const messages = makeTable<Message, "thread" | "run">({ thread: (m) => m.threadId, run: (m) => m.runId })
  const runs = makeTable<Run, "thread" | "active">({ thread: (r) => r.threadId, active: activeThreadOf })
  const added: AddMessage = { _tag: "Added" }
  const noThread: AddMessage = { _tag: "NoThread" }
  return Store.of({
    assistants: makeTable(),
    threads,
    messages,
    runs,
    steps: makeTable<RunStep, "run">({ run: (s) => s.runId }),
    // the checks and the write run in one synchronous step, as a transaction would
    addMessage: (message) =>
      Effect.flatMap(threads.get(message.threadId), (thread): Effect.Effect<AddMessage, StoreError> => {
        if (thread === undefined) return Effect.succeed(noThread)
        return Effect.flatMap(activeRun(runs, message.threadId), (runId) =>
          runId !== undefined
            ? Effect.succeed<AddMessage>({ _tag: "ActiveRun", runId })
            : Effect.as(messages.put(message), added))
      }),
    // each write is one synchronous step: nothing can see half of it
    transaction: (self) => self
  })
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<Store> = Layer.effect(Store, makeMemory)

/**
 * The store on an `SqlClient`, its schema migrated first; the client stays available beside it,
 * for other tables on the same database (the workflow engine's).
 */
const layerSql = <E>(
  open: Effect.Effect<SqlClient.SqlClient, E, EffectScope.Scope>,
  writer: (sql: SqlClient.SqlClient) => Effect.Effect<Sql.Writer, never, EffectScope.Scope>
) =>
  Layer.scopedContext(Effect.gen(function*() {
    const client = yield* open
    yield* Effect.provideService(Sql.migrate, SqlClient.SqlClient, client)
    const store = yield* Effect.provideService(Sql.make(yield* writer(client)), SqlClient.SqlClient, client)
    return Context.make(Store, store).pipe(Context.add(SqlClient.SqlClient, client))
  }))

/**
 * The store in a SQLite file (created when missing), in WAL mode with `synchronous=FULL`: an
 * answered write is on disk. One process serves a file: a second one fails to start with a
 * `StoreError` naming it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSqlite = (options: Sqlite.Options): Layer.Layer<Store | SqlClient.SqlClient, StoreError> =>
  // the driver (a native module) loads only when a SQLite store is built
  layerSql(
    Effect.flatMap(Effect.promise(() => import("./store/Sqlite.js")), (Sqlite) => Sqlite.open(options)),
    Sql.groupCommit
  )

/**
 * The store in a PostgreSQL database; an answered write is committed.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerPg = (options: Pg.Options): Layer.Layer<Store | SqlClient.SqlClient, StoreError> =>
  // the driver loads only when a PostgreSQL store is built
  layerSql(
    Effect.flatMap(Effect.promise(() => import("./store/Pg.js")), (Pg) => Pg.open(options)),
    () => Effect.succeed(Sql.direct)
  )
