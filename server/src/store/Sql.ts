/**
 * The store over `@effect/sql`: one schema, migrated with its `Migrator`, on SQLite or
 * PostgreSQL. Each object is one row: its id, the order key of the id (see `Ids.keyOf`), its
 * parents, and the object itself as JSON. Lists read an index on `(parent, sort_key)`, so a page
 * costs its own size however many rows the parent holds, and a cursor is a key comparison that
 * stays valid after deletes, restarts and across processes.
 *
 * @since 0.1.0
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { Assistant } from "effect-assistants/Assistant"
import type { Message } from "effect-assistants/Message"
import { type Run, terminalStatuses } from "effect-assistants/Run"
import type { RunStep } from "effect-assistants/RunStep"
import type { Thread } from "effect-assistants/Thread"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Queue from "effect/Queue"
import * as EffectScope from "effect/Scope"
import * as Ids from "../Ids.js"
import {
  activeRun,
  activeThreadOf,
  type AddMessage,
  type Page,
  type PageQuery,
  type Scope,
  type Service,
  StoreError,
  type Table,
  type Where
} from "./Table.js"

/**
 * The name of the table that records the migrations this schema ran (apart from other users of
 * the same database, such as the workflow engine's tables).
 *
 * @since 0.1.0
 * @category constants
 */
export const migrationsTable = "effect_assistants_migrations"

/**
 * A `StoreError` from a driver's failure, its message naming what failed and why.
 *
 * @since 0.1.0
 * @category errors
 */
export const fromCause = (what: string, cause: Cause.Cause<unknown>): StoreError => {
  const failure = Cause.squash(cause)
  return new StoreError({ message: `${what}: ${reasonOf(failure)}`, cause: failure })
}

/** The driver's own words: an `SqlError` wraps them in its `cause`. */
const reasonOf = (error: unknown): string => {
  let current: any = error
  for (let i = 0; i < 4 && current?.cause !== undefined && current?._tag !== undefined; i++) current = current.cause
  const message = current instanceof Error ? current.message : String(current)
  const code = typeof current?.code === "string" ? ` (${current.code})` : ""
  return `${message}${code}`
}

/**
 * Turns any failure of `self` (interruption apart) into a `StoreError` saying `what` failed.
 *
 * @since 0.1.0
 * @category errors
 */
export const failWith = (what: string) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, StoreError, R> =>
  Effect.catchAllCause(self, (cause) =>
    Cause.isInterruptedOnly(cause)
      ? Effect.failCause(cause as Cause.Cause<never>)
      : Effect.fail(fromCause(what, cause)))

/** The rows of one kind of object: `parents` maps an index name to its column and getter. */
const createTable = (sql: SqlClient.SqlClient, name: string, parents: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
    // PostgreSQL compares text by the database's collation; keys must compare byte by byte
    const keyType = pg ? `text COLLATE "C"` : "TEXT"
    const jsonType = pg ? "json" : "TEXT"
    const columns = [
      `id ${keyType} PRIMARY KEY`,
      `sort_key ${keyType} NOT NULL`,
      ...parents.map((p) => `${p} TEXT`),
      `data ${jsonType} NOT NULL`
    ]
    yield* sql.unsafe(`CREATE TABLE ${name} (${columns.join(", ")})`)
    // the id closes each index, as it closes each ORDER BY: a page is a walk of the index, no sort
    if (parents.length === 0) yield* sql.unsafe(`CREATE INDEX ${name}_by_key ON ${name} (sort_key, id)`)
    for (const p of parents) yield* sql.unsafe(`CREATE INDEX ${name}_by_${p} ON ${name} (${p}, sort_key, id)`)
  })

/**
 * The schema's migrations, by `Migrator.fromRecord`'s naming.
 *
 * @since 0.1.0
 * @category migrations
 */
export const migrations: Record<string, Effect.Effect<void, SqlError, SqlClient.SqlClient>> = {
  "1_objects": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* createTable(sql, "assistants", [])
    yield* createTable(sql, "threads", [])
    yield* createTable(sql, "messages", ["thread_id", "run_id"])
    yield* createTable(sql, "runs", ["thread_id"])
    yield* createTable(sql, "steps", ["run_id"])
  }),
  // a thread's active run is one read of an index that holds only the runs that have not ended
  "2_active_runs": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const status = sql.onDialectOrElse({
      pg: () => `data->>'status'`,
      orElse: () => `json_extract(data, '$.status')`
    })
    const ended = [...terminalStatuses].map((s) => `'${s}'`).join(", ")
    yield* sql.unsafe(`ALTER TABLE runs ADD COLUMN active_thread_id TEXT`)
    yield* sql.unsafe(`UPDATE runs SET active_thread_id = thread_id WHERE ${status} NOT IN (${ended})`)
    yield* sql.unsafe(`CREATE INDEX runs_by_active_thread_id ON runs (active_thread_id, sort_key, id)`)
  })
}

/**
 * Brings the database's schema up to date.
 *
 * @since 0.1.0
 * @category migrations
 */
export const migrate: Effect.Effect<void, StoreError, SqlClient.SqlClient> = Effect.suspend(() =>
  exclusively(
    Migrator.make({})({
      loader: Migrator.fromRecord(migrations),
      table: migrationsTable
    })
  )
).pipe(
  // a failed migration is a defect of the Migrator: it is reported the same way
  failWith("could not migrate the database"),
  Effect.asVoid
)

/**
 * The advisory lock that the start-ups of processes on one PostgreSQL database take turns on:
 * `CREATE TABLE IF NOT EXISTS` run by two of them at once can fail in one.
 */
const startupLock = 4_541_000_021

/** Set while the lock is held: schema work nested in it (a layer's) does not wait for it again. */
const holdingStartupLock = FiberRef.unsafeMake(false)

/**
 * Runs `self` (schema work) holding the start-up lock, on PostgreSQL; as it is elsewhere. The
 * lock is held on a connection of its own (`self` may fail a statement on purpose, which would
 * end a transaction around it), and given back at the end.
 *
 * @since 0.1.0
 * @category migrations
 */
export const exclusively = <A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, E | StoreError, R | SqlClient.SqlClient> =>
  Effect.flatMap(Effect.zip(SqlClient.SqlClient, FiberRef.get(holdingStartupLock)), ([sql, holding]) => {
    if (holding || !sql.onDialectOrElse({ pg: () => true, orElse: () => false })) return self
    return Effect.gen(function*() {
      const held = yield* EffectScope.make()
      return yield* Effect.gen(function*() {
        const connection = yield* Effect.tap(
          EffectScope.extend(sql.reserve, held),
          (connection) => connection.executeRaw(`SELECT pg_advisory_lock(${startupLock})`, [])
        ).pipe(failWith("could not take the start-up lock"))
        return yield* self.pipe(
          Effect.locally(holdingStartupLock, true),
          Effect.ensuring(Effect.ignore(connection.executeRaw(`SELECT pg_advisory_unlock(${startupLock})`, [])))
        )
      }).pipe(Effect.ensuring(EffectScope.close(held, Exit.void)))
    })
  })

/**
 * Builds `layer` holding the start-up lock (see {@link exclusively}): for layers that create their
 * tables as they start (`@effect/cluster`'s storage).
 *
 * @since 0.1.0
 * @category migrations
 */
export const layerExclusively = <A, E, R>(
  layer: Layer.Layer<A, E, R>
): Layer.Layer<A, E | StoreError, R | SqlClient.SqlClient> => Layer.scopedContext(exclusively(Layer.build(layer)))

const isSqlError = (e: unknown): e is SqlError => Predicate.isTagged(e, "SqlError")

interface Row {
  readonly data: unknown
}

const parse = <A>(row: Row): A => (typeof row.data === "string" ? JSON.parse(row.data) : row.data) as A

/** The order of an id; an id that is not one of ours sorts first, as in memory. */
const keyOf = (id: string): string => Ids.keyOf(id) ?? ""

/**
 * How a write outside a transaction reaches the database: `write` runs it and answers once it
 * is durable.
 *
 * @since 0.1.0
 * @category models
 */
export interface Writer {
  readonly write: <A>(statement: Effect.Effect<A, SqlError>) => Effect.Effect<A, SqlError>
}

/**
 * Each write its own transaction: for databases that commit concurrent transactions together
 * themselves (PostgreSQL, over a pool of connections).
 *
 * @since 0.1.0
 * @category constructors
 */
export const direct: Writer = { write: (statement) => statement }

/** One turn of the event loop: what is ready to be read is read before this resumes. */
const nextTurn = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

interface Pending {
  readonly statement: Effect.Effect<unknown, SqlError>
  readonly done: Deferred.Deferred<unknown, SqlError>
}

/**
 * Group commit, for a database of one connection that syncs the disk at each commit (SQLite with
 * `synchronous=FULL`): the writes that arrive while a commit is syncing wait, and are then
 * committed together, one sync for all of them; each is answered once that commit is on disk. A
 * batch that fails is rolled back and its writes run again one by one, so each gets its own
 * outcome. Writes inside a transaction of the caller's run in it, as they are.
 *
 * @since 0.1.0
 * @category constructors
 */
export const groupCommit = (sql: SqlClient.SqlClient): Effect.Effect<Writer, never, EffectScope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<Pending>()
    yield* Effect.addFinalizer(() => Queue.shutdown(queue))
    const settle = (batch: ReadonlyArray<Pending>, exits: ReadonlyArray<Exit.Exit<unknown, SqlError>>) =>
      Effect.forEach(batch, (p, i) => Deferred.done(p.done, exits[i]), { discard: true })
    const commit = (batch: ReadonlyArray<Pending>) =>
      Effect.gen(function*() {
        const together = yield* Effect.exit(
          sql.withTransaction(Effect.forEach(batch, (p) => p.statement))
        )
        if (Exit.isSuccess(together)) {
          return yield* settle(batch, together.value.map(Exit.succeed))
        }
        const alone = yield* Effect.forEach(batch, (p) => Effect.exit(p.statement))
        yield* settle(batch, alone)
      })
    // a synchronous driver blocks the event loop while it commits, so nothing can arrive during a
    // sync: before each commit, the writer lets the loop turn (requests read, handlers run) for as
    // long as writes keep arriving, a few turns at most
    const gather = Effect.gen(function*() {
      let size = yield* Queue.size(queue)
      let quiet = 0
      for (let turn = 0; turn < 16 && quiet < 2; turn++) {
        yield* nextTurn
        const now = yield* Queue.size(queue)
        quiet = now === size ? quiet + 1 : 0
        size = now
      }
      return yield* Queue.takeAll(queue)
    })
    yield* Queue.take(queue).pipe(
      Effect.flatMap((first) => Effect.flatMap(gather, (rest) => Effect.uninterruptible(commit([first, ...rest])))),
      Effect.forever,
      Effect.forkScoped
    )
    return {
      write: <A>(statement: Effect.Effect<A, SqlError>) =>
        Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (inTransaction) => {
          if (Option.isSome(inTransaction)) return statement
          return Effect.flatMap(Deferred.make<unknown, SqlError>(), (done) =>
            Effect.zipRight(
              Queue.offer(queue, { statement, done }),
              Deferred.await(done) as Effect.Effect<A, SqlError>
            ))
        })
    }
  })

/** How an object is written to its `data` column. */
const jsonOf = (sql: SqlClient.SqlClient) =>
  sql.onDialectOrElse({
    pg: () => (a: unknown) => sql`${JSON.stringify(a)}::json`,
    orElse: () => (a: unknown) => sql`${JSON.stringify(a)}`
  })

/**
 * A table of `name` whose objects are listed under the parents `indexes` name (index name to
 * column and getter); its writes go through `writer`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTable = <A extends { readonly id: string }, Index extends string = never>(
  sql: SqlClient.SqlClient,
  writer: Writer,
  name: string,
  indexes: { readonly [K in Index]: readonly [column: string, get: (a: A) => string | null | undefined] } = {} as any
): Table<A, Index> => {
  const table = sql(name)
  const names = Object.keys(indexes) as Array<Index>
  const columnOf = (index: Index) => sql(indexes[index][0])
  const json = jsonOf(sql)
  const rowsOf = (rows: ReadonlyArray<Row>): Array<A> => rows.map(parse<A>)
  const columns = sql.literal(["id", "sort_key", ...names.map((n) => indexes[n][0]), "data"].join(", "))
  const updates = sql.literal(
    [...names.map((n) => indexes[n][0]), "data"].map((c) => `${c} = excluded.${c}`).join(", ")
  )

  const put = (value: A) => {
    const values = [
      sql`${value.id}`,
      sql`${keyOf(value.id)}`,
      ...names.map((n) => sql`${indexes[n][1](value) ?? null}`),
      json(value)
    ]
    return sql`INSERT INTO ${table} (${columns}) VALUES (${sql.csv(values)})
      ON CONFLICT (id) DO UPDATE SET ${updates}`
  }

  const list = (query: PageQuery, scope?: Scope<Index>, where?: Where<A, Index>) =>
    Effect.gen(function*() {
      const asc = query.order === "asc"
      const conditions = []
      if (scope !== undefined) conditions.push(sql`${columnOf(scope.index)} = ${scope.key}`)
      if (where?.also !== undefined) {
        // written so that no index can answer it: the page walks the scope's index (a run's few
        // messages), never the second parent's (a thread's million)
        conditions.push(sql`${columnOf(where.also.index)} || '' = ${where.also.key}`)
      }
      // the cursors' semantics are `paginateSorted`'s: exclusive, in the requested order
      if (query.after !== undefined) {
        const key = keyOf(query.after)
        conditions.push(asc ? sql`sort_key > ${key}` : sql`sort_key < ${key}`)
      }
      if (query.before !== undefined) {
        const key = keyOf(query.before)
        conditions.push(asc ? sql`sort_key < ${key}` : sql`sort_key > ${key}`)
      }
      const fromHigh = query.before !== undefined && query.after === undefined ? asc : !asc
      const direction = sql.literal(fromHigh ? "DESC" : "ASC")
      const whereClause = conditions.length > 0 ? sql`WHERE ${sql.and(conditions)}` : sql``
      const filter = where?.filter
      const found: Array<A> = []
      if (filter === undefined) {
        const rows = yield* sql<Row>`SELECT data FROM ${table} ${whereClause}
          ORDER BY sort_key ${direction}, id ${direction} LIMIT ${query.limit + 1}`
        found.push(...rowsOf(rows))
      } else {
        // a condition the indexes cannot answer: read on in batches until the page is full
        const batch = Math.max(64, query.limit + 1)
        let offset = 0
        while (found.length <= query.limit) {
          const rows = yield* sql<Row>`SELECT data FROM ${table} ${whereClause}
            ORDER BY sort_key ${direction}, id ${direction} LIMIT ${batch} OFFSET ${offset}`
          for (const a of rowsOf(rows)) if (filter(a) && found.length <= query.limit) found.push(a)
          if (rows.length < batch) break
          offset += batch
        }
      }
      const hasMore = found.length > query.limit
      if (hasMore) found.pop()
      if (fromHigh === asc) found.reverse()
      const page: Page<A> = {
        object: "list",
        data: found,
        firstId: found.length > 0 ? found[0].id : null,
        lastId: found.length > 0 ? found[found.length - 1].id : null,
        hasMore
      }
      return page
    })

  return {
    get: (id) =>
      sql<Row>`SELECT data FROM ${table} WHERE id = ${id}`.pipe(
        Effect.map((rows) => rows.length > 0 ? parse<A>(rows[0]) : undefined),
        failWith(`could not read from ${name}`)
      ),
    put: (value) => writer.write(put(value)).pipe(Effect.asVoid, failWith(`could not write to ${name}`)),
    delete: (id) =>
      writer.write(sql<{ id: string }>`DELETE FROM ${table} WHERE id = ${id} RETURNING id`).pipe(
        Effect.map((rows) => rows.length > 0),
        failWith(`could not delete from ${name}`)
      ),
    all: (filter) =>
      sql<Row>`SELECT data FROM ${table} ORDER BY sort_key, id`.pipe(
        Effect.map((rows) => rowsOf(rows).filter(filter)),
        failWith(`could not read from ${name}`)
      ),
    children: (scope) =>
      sql<Row>`SELECT data FROM ${table} WHERE ${columnOf(scope.index)} = ${scope.key} ORDER BY sort_key, id`.pipe(
        Effect.map(rowsOf),
        failWith(`could not read from ${name}`)
      ),
    deleteChildren: (scope) =>
      writer.write(
        sql<{ id: string }>`DELETE FROM ${table} WHERE ${columnOf(scope.index)} = ${scope.key} RETURNING id`
      ).pipe(
        Effect.map((rows) => rows.length),
        failWith(`could not delete from ${name}`)
      ),
    list: (query, scope, where) => list(query, scope, where).pipe(failWith(`could not read from ${name}`))
  }
}

/**
 * The store on the `SqlClient` in context, whose schema {@link migrate} made; `writer` (default
 * {@link direct}) says how its writes are committed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (writer: Writer = direct): Effect.Effect<Service, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (sql): Service => {
    const threads = makeTable<Thread>(sql, writer, "threads")
    const runs = makeTable<Run, "thread" | "active">(sql, writer, "runs", {
      thread: ["thread_id", (r) => r.threadId],
      active: ["active_thread_id", activeThreadOf]
    })
    const json = jsonOf(sql)
    // parameters in a select list have no type on PostgreSQL until they are given one
    const text = sql.onDialectOrElse({
      pg: () => (value: string | null) => sql`${value}::text`,
      orElse: () => (value: string | null) => sql`${value}`
    })
    const added: AddMessage = { _tag: "Added" }
    const noThread: AddMessage = { _tag: "NoThread" }
    const addMessage = (message: Message): Effect.Effect<AddMessage, StoreError> =>
      Effect.gen(function*() {
        const thread = message.threadId
        const rows = yield* writer.write(
          sql<{ id: string }>`INSERT INTO messages (id, sort_key, thread_id, run_id, data)
            SELECT ${text(message.id)}, ${text(keyOf(message.id))}, ${text(thread)}, ${text(message.runId)},
              ${json(message)}
            WHERE EXISTS (SELECT 1 FROM threads WHERE id = ${thread})
              AND NOT EXISTS (SELECT 1 FROM runs WHERE active_thread_id = ${thread})
            RETURNING id`
        ).pipe(failWith("could not write to messages"))
        if (rows.length > 0) return added
        // nothing was written: the reads say why
        if ((yield* threads.get(thread)) === undefined) return noThread
        const runId = yield* activeRun(runs, thread)
        // a run that ended between the write and this read: the thread takes messages again
        return runId === undefined ? yield* addMessage(message) : { _tag: "ActiveRun", runId } as const
      })
    return {
      assistants: makeTable<Assistant>(sql, writer, "assistants"),
      threads,
      messages: makeTable<Message, "thread" | "run">(sql, writer, "messages", {
        thread: ["thread_id", (m) => m.threadId],
        run: ["run_id", (m) => m.runId]
      }),
      runs,
      steps: makeTable<RunStep, "run">(sql, writer, "steps", { run: ["run_id", (s) => s.runId] }),
      addMessage,
      transaction: <A, E, R>(self: Effect.Effect<A, E, R>) =>
        Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (outer) => {
          // a nested call joins the outer transaction, as `Service` says: no savepoint of its own
          if (Option.isSome(outer)) return self
          let failed: Cause.Cause<E> | undefined
          return sql.withTransaction(Effect.onError(self, (cause) => Effect.sync(() => (failed = cause)))).pipe(
            Effect.catchAllCause((cause): Effect.Effect<never, E | StoreError> => {
              // SQLite ends a transaction itself on some errors (a full disk): its ROLLBACK then
              // fails, and @effect/sql reports that as a defect in place of what failed
              if (failed !== undefined) return Effect.failCause(failed)
              // the statements inside fail with `StoreError`: an `SqlError` here is the
              // transaction's own, its BEGIN failed or (a defect in @effect/sql) its COMMIT
              return isSqlError(Cause.squash(cause))
                ? Effect.fail(fromCause("a transaction failed", cause))
                : Effect.failCause(cause as Cause.Cause<E>)
            })
          )
        })
    }
  })
