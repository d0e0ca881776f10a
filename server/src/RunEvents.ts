/**
 * Where the run engine publishes each change of a run (see `RunEngine.Event`), and where the
 * streams of runs read them.
 *
 * - {@link layerLocal}: a `PubSub` in the process, for a server that is one process.
 * - {@link layerPg}: PostgreSQL's `NOTIFY`, for a cluster, where a stream opened on one process
 *   follows a run executing on another. Each event is one `pg_notify`, written after the change
 *   it describes, or in its transaction where there is one: PostgreSQL delivers it at the commit,
 *   and never for a change rolled back. PostgreSQL delivers the notifications of a channel in
 *   commit order, and one run's events are written one after the other, so every process sees a
 *   run's events in the order they were written. An event larger than a notification may carry
 *   is kept in a table and notified by its number. Each process listens on one connection and
 *   republishes what it hears in a local `PubSub`; should that connection fail, it listens again,
 *   and the events sent in between are not seen by the streams open on that process (the runs
 *   themselves are in the store, whole).
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Message } from "effect-assistants/Message"
import { Run } from "effect-assistants/Run"
import { RunStep } from "effect-assistants/RunStep"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { randomUUID } from "node:crypto"
import type { Event } from "./RunEngine.js"
import { wireData } from "./Sse.js"
import { exclusively, failWith } from "./store/Sql.js"
import { StoreError } from "./store/Table.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class RunEvents extends Context.Tag("effect-assistants/server/RunEvents")<RunEvents, {
  /** Sends one change to every subscriber, of every process that shares the bus. */
  readonly publish: (event: Event) => Effect.Effect<void>
  /** Every change, as it happens, from when the stream starts. */
  readonly events: Stream.Stream<Event>
  /** Every change from now on: the subscription is taken at once and lasts as long as the scope. */
  readonly subscribe: Effect.Effect<Stream.Stream<Event>, never, Scope.Scope>
  /** Whether events reach this process: with {@link layerPg}, a notification of its own came back. */
  readonly ready: Effect.Effect<boolean>
  /**
   * Whether an event published inside a transaction of the store is delivered only once that
   * transaction commits ({@link layerPg}: a notification is sent at the commit). Where it is not
   * ({@link layerLocal}), the run engine holds the events of a transaction until its commit, so
   * that a client who reads after an event sees the write it describes.
   */
  readonly atCommit: boolean
}>() {}

/**
 * The bus of one process.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeLocal: Effect.Effect<RunEvents["Type"]> = Effect.map(
  PubSub.unbounded<Event>(),
  (pubsub) =>
    RunEvents.of({
      publish: (event) => PubSub.publish(pubsub, event),
      events: Stream.fromPubSub(pubsub),
      subscribe: Stream.fromPubSub(pubsub, { scoped: true }),
      ready: Effect.succeed(true),
      atCommit: false
    })
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layerLocal: Layer.Layer<RunEvents> = Layer.effect(RunEvents, makeLocal)

/**
 * The notification channel, and the table of the events too large for a notification.
 *
 * @since 0.1.0
 * @category constants
 */
export const channel = "effect_assistants_run_events"

/** PostgreSQL refuses a payload of 8000 bytes or more. */
const maxPayloadBytes = 7900

/** Events kept in the table are read within moments; they are removed after this long. */
const retention = "10 minutes"

const RunJson = Schema.parseJson(Run)
const StepJson = Schema.parseJson(RunStep)
const MessageJson = Schema.parseJson(Message)
/**
 * One event as JSON: its name, and its object as the API writes it (the deltas as they are: they
 * are plain data, and the step's delta keeps the fields {@link decode} reads).
 *
 * @since 0.1.0
 * @category codecs
 */
export const encode = (event: Event): string =>
  JSON.stringify(
    event.data.object === "thread.message.delta" || event.data.object === "thread.run.step.delta"
      ? event
      : { event: event.event, data: wireData(event) }
  )

/**
 * The event {@link encode} wrote.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decode = (json: string): Event => {
  const { data, event } = JSON.parse(json) as { readonly event: string; readonly data: { readonly object: string } }
  const again = JSON.stringify(data)
  switch (data.object) {
    case "thread.run":
      return { event: event as `thread.run.${string}`, data: Schema.decodeSync(RunJson)(again) }
    case "thread.run.step":
      return { event: event as `thread.run.step.${string}`, data: Schema.decodeSync(StepJson)(again) }
    case "thread.message":
      return { event: event as `thread.message.${string}`, data: Schema.decodeSync(MessageJson)(again) }
    default:
      return { event, data } as Event
  }
}

/**
 * What `@effect/sql-pg`'s client adds to `SqlClient` that the bus uses, looked for on the client
 * in context, so that these types need no PostgreSQL driver's.
 */
interface Listening {
  readonly listen: (channel: string) => Stream.Stream<string, SqlError>
}

const canListen = (sql: SqlClient.SqlClient): sql is SqlClient.SqlClient & Listening =>
  sql.onDialectOrElse({ pg: () => true, orElse: () => false }) && "listen" in sql && typeof sql.listen === "function"

/**
 * The bus on PostgreSQL (see the module's comment). The table it needs is created if missing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePg: Effect.Effect<RunEvents["Type"], StoreError, SqlClient.SqlClient | Scope.Scope> = Effect
  .gen(function*() {
    const sql = yield* SqlClient.SqlClient
    if (!canListen(sql)) {
      return yield* Effect.fail(new StoreError({ message: "run events across processes need PostgreSQL" }))
    }
    yield* exclusively(sql`CREATE TABLE IF NOT EXISTS ${sql(channel)} (
      seq BIGSERIAL PRIMARY KEY,
      body TEXT NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`).pipe(failWith(`could not create the table ${channel}`))
    const local = yield* makeLocal
    // a probe is a notification of this process's own: it comes back once the connection listens
    const probes = new Map<string, Deferred.Deferred<void>>()
    const received = (payload: string) =>
      Effect.gen(function*() {
        if (payload.startsWith("probe:")) {
          const waiting = probes.get(payload)
          if (waiting !== undefined) yield* Deferred.succeed(waiting, undefined)
          return
        }
        if (payload.startsWith("#")) {
          const rows = yield* sql<{ readonly body: string }>`SELECT body FROM ${sql(channel)} WHERE seq = ${
            Number(payload.slice(1))
          }`
          if (rows.length === 0) return
          return yield* local.publish(decode(rows[0].body))
        }
        if (payload.startsWith("{")) yield* local.publish(decode(payload))
      }).pipe(
        // one bad event is logged, and the others still flow
        Effect.catchAllCause((cause) => Effect.logError("a run event could not be read", cause))
      )
    yield* sql.listen(channel).pipe(
      Stream.runForEach(received),
      Effect.tapErrorCause((cause) => Effect.logWarning("run events: the listening connection failed", cause)),
      Effect.retry(Schedule.spaced("1 second")),
      Effect.forkScoped
    )
    const probe = Effect.gen(function*() {
      const token = `probe:${randomUUID()}`
      const arrived = yield* Deferred.make<void>()
      probes.set(token, arrived)
      return yield* sql`SELECT pg_notify(${channel}, ${token})`.pipe(
        Effect.zipRight(Deferred.await(arrived)),
        Effect.timeout("1 second"),
        Effect.as(true),
        Effect.catchAll(() => Effect.succeed(false)),
        Effect.ensuring(Effect.sync(() => probes.delete(token)))
      )
    })
    // start-up waits until events flow
    yield* probe.pipe(
      Effect.filterOrFail((up) => up, () => new Error("not listening")),
      Effect.retry(Schedule.recurs(20)),
      Effect.orDie
    )
    // the table's old rows go
    yield* sql`DELETE FROM ${sql(channel)} WHERE created_at < now() - ${retention}::interval`.pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("run events: old rows not removed", cause)),
      Effect.repeat(Schedule.spaced("1 minute")),
      Effect.forkScoped
    )
    const send = (body: string) =>
      Buffer.byteLength(body) <= maxPayloadBytes
        ? sql`SELECT pg_notify(${channel}, ${body})`
        : sql`WITH e AS (INSERT INTO ${sql(channel)} (body) VALUES (${body}) RETURNING seq)
            SELECT pg_notify(${channel}, '#' || e.seq) FROM e`
    return RunEvents.of({
      // a lost write of an event is retried; one that cannot be written is a failure of the server
      publish: (event) =>
        send(encode(event)).pipe(
          Effect.retry({ schedule: Schedule.exponential("50 millis"), times: 4 }),
          Effect.asVoid,
          Effect.orDie
        ),
      events: local.events,
      subscribe: local.subscribe,
      ready: probe,
      atCommit: true
    })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layerPg: Layer.Layer<RunEvents, StoreError, SqlClient.SqlClient> = Layer.scoped(RunEvents, makePg)
