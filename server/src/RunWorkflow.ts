/**
 * Each run is a durable workflow (`@effect/workflow`), its execution id the run's id. The routes
 * write through the `Store` and start or signal the run's workflow; the workflow drives the run
 * through the API's state machine (see `RunEngine`), one model turn at a time:
 *
 * - each model turn is an `Activity`: it writes the turn's steps and messages, publishes its
 *   events, and records what it ended on (the run's end, or the tool calls the run now waits
 *   for), so a resumed run never repeats a finished turn, nor its upstream call;
 * - `requires_action` waits on a `DurableDeferred` that submit_tool_outputs completes; a cancel
 *   (another `DurableDeferred`) and `expires_at` (a `DurableClock`) end the wait; which of them
 *   ended it is recorded too, so a replay takes the same way;
 * - a cancel arriving during a turn interrupts the model at once, in the process (the upstream
 *   request is aborted); the turn also reads the run's status at each step, so a cancel made
 *   before a restart is seen after it.
 *
 * Two engines run the same workflow: {@link layerMemory}, the workflow engine's in-memory storage
 * (tests, `--memory`), and {@link layerSql}, `@effect/cluster`'s `ClusterWorkflowEngine` on a
 * single runner (`SingleRunner`) whose message and runner storage is the server's own SQL
 * database. After a restart on the same database every run in flight resumes where it stood: a run
 * in `requires_action` still accepts its outputs, a run `in_progress` finishes its turn.
 *
 * A turn cut short by a crash runs again from its start: the steps and messages it had opened
 * (still `in_progress`) are removed first, so none appears twice.
 *
 * @since 0.1.0
 */
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import * as MessageStorage from "@effect/cluster/MessageStorage"
import * as ShardId from "@effect/cluster/ShardId"
import * as Sharding from "@effect/cluster/Sharding"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Activity from "@effect/workflow/Activity"
import * as DurableClock from "@effect/workflow/DurableClock"
import * as DurableDeferred from "@effect/workflow/DurableDeferred"
import * as Workflow from "@effect/workflow/Workflow"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import type { Message } from "effect-assistants/Message"
import { type Run, terminalStatuses } from "effect-assistants/Run"
import type { RunStep } from "effect-assistants/RunStep"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberMap from "effect/FiberMap"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { invalid } from "./ApiError.js"
import * as Ids from "./Ids.js"
import { holdingShards, rereading } from "./internal/shards.js"
import { type FunctionSpec, Model, type Output, streamPieces, type ToolCallPiece, type ToolOutput } from "./Model.js"
import { type Check, defaultTimings, type Event, RunEngine, seconds, type Timings, truncate } from "./RunEngine.js"
import * as RunEvents from "./RunEvents.js"
import { databaseFailed, isStoreError, Store, type StoreError } from "./Store.js"
import * as Sql from "./store/Sql.js"

/**
 * The run's workflow. Its payload is the run's id, which is also its execution id: the run itself
 * is read from the store at each turn.
 *
 * @since 0.1.0
 * @category workflows
 */
export const RunWorkflow = Workflow.make({
  name: "effect-assistants/Run",
  payload: { runId: Schema.String },
  idempotencyKey: ({ runId }) => runId
})

const ToolOutputs = Schema.Array(Schema.Struct({ toolCallId: Schema.String, output: Schema.String }))

/**
 * Completed by a cancel: it ends a `requires_action` wait.
 *
 * @since 0.1.0
 * @category signals
 */
export const CancelSignal = DurableDeferred.make("cancel")

/**
 * What every outputs signal shares: its schemas. A `DurableDeferred` carries an exit schema of its
 * own, which the engine compiles at each read and write of the signal, so one made per run would
 * be compiled anew each time; this one is compiled once.
 */
const outputsSchemas = DurableDeferred.make("outputs", { success: ToolOutputs })

/**
 * Completed by submit_tool_outputs with the outputs for the calls of one `requires_action`; named
 * after the first of those calls, which the run's `required_action` shows the route.
 *
 * @since 0.1.0
 * @category signals
 */
export const outputsSignal = (firstCallId: string): typeof outputsSchemas => {
  const name = `outputs/${firstCallId}`
  return {
    ...outputsSchemas,
    name,
    withActivityAttempt: Effect.suspend(() => DurableDeferred.make(name, { success: ToolOutputs }).withActivityAttempt)
  }
}

/** One clock per run: `expires_at` does not move. */
const expiryClock = "expires_at"

/** The expiry clock as a wait checks it: only its deferred, which its name alone makes, is read. */
const expiryCheck = DurableClock.make({ name: expiryClock, duration: Duration.zero })

/** What an activity of the run engine runs (see `recorded` in {@link make}). */
class ActivityBody extends Context.Tag("effect-assistants/server/RunWorkflow/ActivityBody")<
  ActivityBody,
  Effect.Effect<unknown, never, WorkflowEngine.WorkflowInstance>
>() {}

const Call = Schema.Struct({ id: Schema.String, name: Schema.String, arguments: Schema.String })

/** What a turn ended on: the run's end, or calls to wait for. */
const TurnResult = Schema.Union(
  Schema.TaggedStruct("Ended", {}),
  Schema.TaggedStruct("Waiting", {
    stepId: Schema.String,
    calls: Schema.Array(Call),
    promptTokens: Schema.Number,
    completionTokens: Schema.Number
  })
)
type TurnResult = typeof TurnResult.Type

/** What ended a `requires_action` wait. */
const WaitResult = Schema.Union(
  Schema.TaggedStruct("Outputs", { outputs: ToolOutputs }),
  Schema.TaggedStruct("Cancelled", {}),
  Schema.TaggedStruct("Expired", {})
)
type WaitResult = typeof WaitResult.Type

/**
 * Shorter than `@effect/cluster`'s defaults, which suit a fleet of runners: a single runner owns
 * every shard, so a clock (`expires_at`) fires within a second of its time, and a stop does not
 * wait long for a turn in flight (it is resumed at the next start).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultShardingConfig: Partial<ShardingConfig.ShardingConfig["Type"]> = {
  entityMessagePollInterval: Duration.seconds(1),
  entityTerminationTimeout: Duration.seconds(2)
}

const words = (s: string) => (s.trim() === "" ? 0 : s.trim().split(/\s+/).length)

const messageText = (m: Message) => m.content.map((p) => (p.type === "text" ? p.text.value : "")).join(" ")

const newMessage = (run: Run, id: string, createdAt: number): Message => ({
  id,
  object: "thread.message",
  createdAt,
  threadId: run.threadId,
  status: "in_progress",
  incompleteDetails: null,
  completedAt: null,
  incompleteAt: null,
  role: "assistant",
  content: [],
  assistantId: run.assistantId,
  runId: run.id,
  attachments: [],
  metadata: {}
})

const ended: TurnResult = { _tag: "Ended" }

/** How often a run's failure is written again while the database takes no writes. */
const failureRetry = Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")))

/**
 * How a workflow is followed after a signal (see `follow` in `make`): looked at 50 ms after the
 * resume made at the signal, then at doubling intervals up to a second, for at most a minute.
 * Resuming it once more a second later, as this did before, would leave a workflow whose look
 * outlasted that second (a slow database) suspended with its signal unseen.
 */
const afterSignalFirst = Duration.millis(50)
const afterSignal = Schedule.exponential("100 millis").pipe(
  Schedule.union(Schedule.spaced("1 second")),
  Schedule.upTo("1 minute")
)

/** The events of the writes in a transaction, held until it commits (see `atomically`). */
const heldEvents = FiberRef.unsafeMake<Array<Event> | undefined>(undefined)

/**
 * Builds the run engine over the `WorkflowEngine` in context: registers the run's workflow, and
 * starts, signals and follows runs through it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (timings: Timings = defaultTimings, options: {
  /**
   * Set for `WorkflowEngine.layerMemory`: it resumes a workflow at a signal only when the workflow
   * is not running, so a signal that lands between the wait's look and its suspension would leave
   * the run waiting. After each signal written while the workflow looks for its signals, the
   * engine waits for that look: if it found nothing, the engine follows the workflow until it
   * stops and resumes it then (a resume of a workflow that saw the signal replays and waits again:
   * harmless). A workflow elsewhere (running a turn, say) gets to its next look by itself. The
   * run's `expires_at` clock is then a fiber of this engine's own, which signals the same way and
   * ends with the run.
   * Over `ClusterWorkflowEngine` the workflow is resumed after the signal's transaction commits.
   */
  readonly resumeAfterSignal?: boolean | undefined
  /**
   * Set for a runner of a cluster: its name in the log line written at each change of a run's
   * status (with the run's id), and the turns running here watch the run events for cancels made
   * through other processes. Without it, neither.
   */
  readonly runner?: string | undefined
  /** What `/readyz` checks besides the store, such as the cluster's shards. */
  readonly checks?: ReadonlyArray<Check> | undefined
} = {}) =>
  Effect.gen(function*() {
    const store = yield* Store
    const model = yield* Model
    const engine = yield* WorkflowEngine.WorkflowEngine
    const bus = yield* RunEvents.RunEvents
    const sql = yield* Effect.serviceOption(SqlClient.SqlClient)
    // the turns running in this process, to interrupt the model at a cancel
    const cancels = new Map<string, Deferred.Deferred<void>>()
    /**
     * With `resumeAfterSignal`: each run's last look for its signals, completed with whether it
     * found none (and the workflow is suspending). Kept until the workflow runs again.
     */
    const looks = new Map<string, Deferred.Deferred<boolean>>()
    /**
     * With `resumeAfterSignal`: each run's `expires_at` clock. The memory engine's own clock would
     * sleep on after the run has ended (it has no way to cancel one), and would signal without the
     * follow-up of `resumed`; this one ends with the run, and signals as outputs and cancels do.
     */
    const clocks = options.resumeAfterSignal === true ? yield* FiberMap.make<string>() : undefined
    const queued = Duration.decode(timings.queued)
    const step = Duration.decode(timings.step)
    const cancelling = Duration.decode(timings.cancelling)
    const delta = Duration.decode(timings.delta ?? 0)
    const paced = Duration.greaterThan(delta, Duration.zero)
    // a zero pause is none: `Effect.sleep` would still wait for a timer, a millisecond or more
    const pause = (duration: Duration.Duration) => Duration.isZero(duration) ? Effect.void : Effect.sleep(duration)

    /**
     * A transaction of the run's writes whose events are delivered once it has committed: a client
     * that reads the run after its `thread.run.completed` sees it completed, on any connection.
     * A bus that delivers at the commit itself gets them in the transaction; otherwise they are
     * held, and published after it. Nested calls join the outer transaction and its events.
     */
    const atomically = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.flatMap(FiberRef.get(heldEvents), (outer) => {
        if (outer !== undefined || bus.atCommit) return store.transaction(self)
        const held: Array<Event> = []
        return Effect.tap(
          store.transaction(Effect.locally(self, heldEvents, held)),
          () => Effect.forEach(held, bus.publish, { discard: true })
        )
      })
    const publish = (event: Event) =>
      Effect.flatMap(
        FiberRef.get(heldEvents),
        (held) => held === undefined ? bus.publish(event) : Effect.sync(() => void held.push(event))
      )
    const logged = (run: Run) =>
      options.runner === undefined ? Effect.void : Effect.logInfo(`run ${run.id} ${run.status} on ${options.runner}`)
    /** A run's status changed: its event, and its log line. */
    const changed = (run: Run, event: string = run.status) =>
      Effect.zipRight(
        publish({ event: `thread.run.${event}`, data: run }),
        event === run.status ? logged(run) : Effect.void
      )
    const saveRun = (run: Run) => Effect.zipRight(store.runs.put(run), changed(run))
    const saveStep = (s: RunStep, event: string) =>
      Effect.zipRight(store.steps.put(s), publish({ event: `thread.run.step.${event}`, data: s }))
    const saveMessage = (m: Message, event: string) =>
      Effect.zipRight(store.messages.put(m), publish({ event: `thread.message.${event}`, data: m }))
    /** One piece of a call of a tool_calls step; the call's first piece carries its id and name. */
    const publishCallPiece = (
      stepId: string,
      index: number,
      piece: string,
      head?: { readonly id: string; readonly name: string }
    ) =>
      publish({
        event: "thread.run.step.delta",
        data: {
          id: stepId,
          object: "thread.run.step.delta",
          delta: {
            stepDetails: {
              type: "tool_calls",
              toolCalls: [
                head !== undefined
                  ? {
                    index,
                    id: head.id,
                    type: "function",
                    function: { name: head.name, arguments: piece, output: null }
                  }
                  : { index, type: "function", function: { arguments: piece } }
              ]
            }
          }
        }
      })

    const current = (run: Run) => Effect.map(store.runs.get(run.id), (r) => r ?? run)

    /** Whether the run is to end as cancelled or expired now; `undefined` to go on. */
    const due = (run: Run) =>
      Effect.gen(function*() {
        const latest = yield* current(run)
        const now = yield* seconds
        if (latest.status === "cancelling") return { run: latest, status: "cancelled" as const }
        // a cancel written between this turn's read of the run and its own write of the status
        // is lost from the store, not from the process
        const latch = cancels.get(run.id)
        if (latch !== undefined && (yield* Deferred.isDone(latch))) return { run: latest, status: "cancelled" as const }
        if (latest.expiresAt !== null && now >= latest.expiresAt) return { run: latest, status: "expired" as const }
        return undefined
      })

    const finish = (run: Run, status: Run["status"], patch: Partial<Run>) =>
      atomically(Effect.gen(function*() {
        const now = yield* seconds
        // steps still in progress end with the run
        const open = (yield* store.steps.children({ index: "run", key: run.id })).filter((s) =>
          s.status === "in_progress"
        )
        const stepStatus = status === "completed"
          ? "completed"
          : status === "expired"
          ? "expired"
          : status === "cancelled"
          ? "cancelled"
          : "failed"
        for (const s of open) {
          yield* saveStep({
            ...s,
            status: stepStatus,
            ...(stepStatus === "completed"
              ? { completedAt: now }
              : stepStatus === "expired"
              ? { expiredAt: now }
              : stepStatus === "cancelled"
              ? { cancelledAt: now }
              : { failedAt: now })
          }, stepStatus)
        }
        // and so do its messages: a turn cut short by the server's own failure leaves one open
        if (status !== "completed") {
          const reason = status === "expired"
            ? "run_expired"
            : status === "cancelled"
            ? "run_cancelled"
            : status === "incomplete"
            ? "max_tokens"
            : "run_failed"
          const unfinished = (yield* store.messages.children({ index: "run", key: run.id })).filter((m) =>
            m.status === "in_progress"
          )
          for (const m of unfinished) {
            yield* saveMessage(
              { ...m, status: "incomplete", incompleteAt: now, incompleteDetails: { reason } },
              "incomplete"
            )
          }
        }
        const done: Run = { ...run, status, requiredAction: null, ...patch }
        yield* saveRun(done)
        return done
      }))

    const end = (ending: { readonly run: Run; readonly status: "cancelled" | "expired" }) =>
      ending.status === "cancelled"
        ? Effect.zipRight(
          pause(cancelling),
          Effect.flatMap(seconds, (now) => finish(ending.run, "cancelled", { cancelledAt: now }))
        )
        : finish(ending.run, "expired", {})

    /** Ends the run as cancelled, or as expired, if that is due; `undefined` to go on. */
    const interruption = (run: Run) =>
      Effect.flatMap(due(run), (ending) => (ending === undefined ? Effect.succeed(undefined) : end(ending)))

    /**
     * A failure of the server itself (the database refused a write, a defect) ends the run as
     * `failed` with `server_error`, if that can still be written, rather than leaving it in flight.
     */
    const guarded = <A, R>(runId: string, fallback: A, body: Effect.Effect<A, unknown, R>) =>
      Effect.catchAllCause(body, (cause) => {
        if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
        const failure = Cause.squash(cause)
        const message = isStoreError(failure) ? databaseFailed(failure) : "The server failed while running this run."
        const record = Effect.gen(function*() {
          const run = yield* store.runs.get(runId)
          if (run === undefined || terminalStatuses.has(run.status)) {
            return fallback
          }
          yield* finish(run, "failed", { failedAt: yield* seconds, lastError: { code: "server_error", message } })
          return fallback
        })
        return Effect.zipRight(
          Effect.logError(`run ${runId} failed: ${message}`),
          record.pipe(
            // a database that takes no write (read-only, unreachable) cannot record the failure
            // either: it is written once the database takes writes again
            Effect.tapErrorCause((again) => Effect.logWarning(`run ${runId}: its failure is not written yet`, again)),
            Effect.retry(failureRetry),
            Effect.orDie
          )
        )
      })

    /**
     * What an earlier attempt of this turn left, when the process stopped in the middle of it. A
     * tool_calls step that holds its calls means the model had answered: the turn is taken as it
     * stands (its calls keep their ids, which a client may already have answered; the run is moved
     * to `requires_action` if it had not got there), so the upstream is not asked again. Otherwise
     * the steps and messages still `in_progress` are removed, and the turn writes them again.
     * Only the token counts of such a turn are estimated, as for a model that reports none.
     */
    const recover = (run: Run, tokens: { readonly promptTokens: number; readonly completionTokens: number }) =>
      Effect.gen(function*() {
        const open = (yield* store.steps.children({ index: "run", key: run.id })).filter((s) =>
          s.status === "in_progress"
        )
        for (const s of open) {
          if (s.stepDetails.type !== "tool_calls" || s.stepDetails.toolCalls.length === 0) {
            continue
          }
          const calls = s.stepDetails.toolCalls.flatMap((c) =>
            c.type === "function"
              ? [{
                id: c.id,
                type: "function" as const,
                function: { name: c.function.name, arguments: c.function.arguments }
              }]
              : []
          )
          if (run.status === "in_progress") {
            yield* saveRun({
              ...run,
              status: "requires_action",
              requiredAction: { type: "submit_tool_outputs", submitToolOutputs: { toolCalls: calls } }
            })
          }
          const waiting: TurnResult = {
            _tag: "Waiting",
            stepId: s.id,
            calls: calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
            promptTokens: tokens.promptTokens,
            completionTokens: tokens.completionTokens + calls.reduce((n, c) => n + words(c.function.arguments), 0)
          }
          return waiting
        }
        for (const s of open) {
          if (s.stepDetails.type === "message_creation") {
            yield* store.messages.delete(s.stepDetails.messageCreation.messageId)
          }
          yield* store.steps.delete(s.id)
        }
        return undefined
      })

    /**
     * The run, for its first turn. Its workflow is started in the transaction that writes it, and
     * `ClusterWorkflowEngine` may hand the start over before that commits: on PostgreSQL the turn,
     * on another connection, does not see the run yet, and waits for it a little. A run still
     * missing then was rolled back, or its thread deleted.
     */
    const committed = (runId: string) =>
      Effect.gen(function*() {
        for (let attempt = 1;; attempt++) {
          const run = yield* store.runs.get(runId)
          if (run !== undefined || attempt === 250) {
            return run
          }
          yield* Effect.sleep("20 millis")
        }
      })

    /** Whether the run's workflow holds a cancel (read inside the workflow only). */
    const cancelRecorded = Effect.flatMap(
      Effect.serviceOption(WorkflowEngine.WorkflowInstance),
      Option.match({
        onNone: () => Effect.succeed(false),
        onSome: (instance) =>
          Effect.map(
            Effect.provideService(engine.deferredResult(CancelSignal), WorkflowEngine.WorkflowInstance, instance),
            (result) => result !== undefined
          )
      })
    )

    /** One model turn: from `queued` to the run's end or to `requires_action`. */
    const turn = (input: {
      readonly runId: string
      readonly round: number
      readonly outputs: ReadonlyArray<ToolOutput>
      readonly promptTokens: number
      readonly completionTokens: number
    }): Effect.Effect<TurnResult, unknown> =>
      Effect.gen(function*() {
        const latch = yield* Deferred.make<void>()
        cancels.set(input.runId, latch)
        const stored = input.round === 0 ? yield* committed(input.runId) : yield* store.runs.get(input.runId)
        // a deleted thread takes its runs with it
        if (stored === undefined || terminalStatuses.has(stored.status)) {
          return ended
        }
        // a cancel is kept with the workflow too: a turn that starts again after its process was
        // lost sees it even if the lost turn had written over the run's `cancelling`
        if (stored.status !== "cancelling" && (yield* cancelRecorded)) {
          yield* end({ run: stored, status: "cancelled" })
          return ended
        }
        const recovered = yield* recover(stored, input)
        if (recovered !== undefined) {
          return recovered
        }
        let run = stored
        const { outputs, round } = input
        let promptTokens = input.promptTokens
        let completionTokens = input.completionTokens

        yield* pause(queued)
        if (yield* interruption(run)) {
          return ended
        }
        run = yield* current(run)
        run = { ...run, status: "in_progress", startedAt: run.startedAt ?? (yield* seconds) }
        yield* saveRun(run)
        yield* pause(step)
        if (yield* interruption(run)) {
          return ended
        }
        run = yield* current(run)

        const messages = truncate(
          yield* store.messages.children({ index: "thread", key: run.threadId }),
          run.truncationStrategy
        )
        const functions: Array<FunctionSpec> = run.tools.flatMap((t) => (t.type === "function" ? [t.function] : []))
        const instructions = run.instructions ?? ""
        const base = {
          object: "thread.run.step" as const,
          assistantId: run.assistantId,
          threadId: run.threadId,
          runId: run.id,
          status: "in_progress" as const,
          lastError: null,
          expiredAt: null,
          cancelledAt: null,
          failedAt: null,
          completedAt: null,
          metadata: null,
          usage: null
        }
        // a model that streams hands its reply text over as it arrives: the message opens at
        // the first piece, and each piece is published at once
        let streamed: { readonly message: Message; readonly step: RunStep } | undefined
        let streamedText = ""
        const openMessage = Effect.gen(function*() {
          const messageId = Ids.make("msg")
          const createdAt = yield* seconds
          const message = newMessage(run, messageId, createdAt)
          const messageStep: RunStep = {
            ...base,
            id: Ids.make("step"),
            createdAt,
            type: "message_creation",
            stepDetails: { type: "message_creation", messageCreation: { messageId } }
          }
          yield* saveStep(messageStep, "created")
          yield* publish({ event: "thread.run.step.in_progress", data: messageStep })
          yield* saveMessage(message, "created")
          yield* publish({ event: "thread.message.in_progress", data: message })
          return { message, step: messageStep }
        })
        const onText = (piece: string) =>
          Effect.gen(function*() {
            if (piece === "") {
              return
            }
            if (streamed === undefined) {
              streamed = yield* openMessage
            }
            streamedText += piece
            yield* publish({
              event: "thread.message.delta",
              data: {
                id: streamed.message.id,
                object: "thread.message.delta",
                delta: { content: [{ index: 0, type: "text", text: { value: piece } }] }
              }
            })
          }).pipe(Effect.orDie)
        const usage = () => ({ promptTokens, completionTokens, totalTokens: promptTokens + completionTokens })
        // text before tool calls is a message of its own, complete once the calls begin
        let streamedDone: RunStep | undefined
        const completeStreamed = Effect.gen(function*() {
          if (streamed === undefined || streamedDone !== undefined) {
            return
          }
          const now = yield* seconds
          yield* saveMessage({
            ...streamed.message,
            status: "completed",
            completedAt: now,
            content: [{ type: "text", text: { value: streamedText, annotations: [] } }]
          }, "completed")
          streamedDone = { ...streamed.step, status: "completed", completedAt: now, usage: usage() }
          yield* saveStep(streamedDone, "completed")
        })
        // a model that streams its calls hands each piece over as it arrives: the tool_calls
        // step opens at the first piece, each call gets its id at its first piece, and each
        // piece is published at once
        let liveStep: RunStep | undefined
        const liveCalls = new Map<number, { readonly id: string; arguments: string }>()
        const onToolCall = (piece: ToolCallPiece) =>
          Effect.gen(function*() {
            let opened = liveStep
            if (opened === undefined) {
              yield* completeStreamed
              opened = {
                ...base,
                id: Ids.make("step"),
                createdAt: yield* seconds,
                type: "tool_calls",
                stepDetails: { type: "tool_calls", toolCalls: [] }
              }
              liveStep = opened
              yield* saveStep(opened, "created")
              yield* publish({ event: "thread.run.step.in_progress", data: opened })
            }
            let call = liveCalls.get(piece.index)
            const first = call === undefined
            if (call === undefined) {
              call = { id: Ids.make("call"), arguments: "" }
              liveCalls.set(piece.index, call)
            }
            call.arguments += piece.arguments
            yield* publishCallPiece(
              opened.id,
              piece.index,
              piece.arguments,
              first ? { id: call.id, name: piece.name ?? "" } : undefined
            )
          }).pipe(Effect.orDie)
        const endStreamed = (reason: "run_cancelled" | "run_expired" | "run_failed" | "max_tokens") =>
          Effect.gen(function*() {
            if (streamed === undefined || streamedDone !== undefined) {
              return
            }
            const now = yield* seconds
            yield* saveMessage({
              ...streamed.message,
              status: "incomplete",
              incompleteAt: now,
              incompleteDetails: { reason },
              content: streamedText === "" ? [] : [{ type: "text", text: { value: streamedText, annotations: [] } }]
            }, "incomplete")
          })
        /** The reply is written: its message, its step and the run complete together. */
        const replied = (message: Message, messageStep: RunStep, text: string) =>
          Effect.gen(function*() {
            const now = yield* seconds
            const latest = yield* current(run)
            yield* atomically(Effect.gen(function*() {
              yield* saveMessage({
                ...message,
                status: "completed",
                completedAt: now,
                content: [{ type: "text", text: { value: text, annotations: [] } }]
              }, "completed")
              yield* saveStep({ ...messageStep, status: "completed", completedAt: now, usage: usage() }, "completed")
              yield* finish(latest, "completed", { completedAt: now, usage: usage() })
            }))
          })
        const estimatedPrompt = words(instructions) + messages.reduce((n, m) => n + words(messageText(m)), 0)
        // a cancel arriving while the model works interrupts it: the upstream request is aborted
        const answered = yield* Effect.raceFirst(
          Effect.map(
            model.respond({
              model: run.model,
              instructions,
              functions,
              toolChoice: run.toolChoice,
              messages,
              toolOutputs: outputs,
              round,
              temperature: run.temperature,
              topP: run.topP,
              responseFormat: run.responseFormat,
              parallelToolCalls: run.parallelToolCalls,
              maxCompletionTokens: run.maxCompletionTokens === null
                ? null
                : Math.max(1, run.maxCompletionTokens - completionTokens),
              onText,
              onToolCall
            }),
            Option.some
          ),
          Effect.as(Deferred.await(latch), Option.none<Output>())
        )
        if (Option.isNone(answered)) {
          const ending = (yield* due(run)) ?? { run: yield* current(run), status: "cancelled" as const }
          yield* endStreamed(ending.status === "cancelled" ? "run_cancelled" : "run_expired")
          yield* end(ending)
          return ended
        }
        let output = answered.value
        promptTokens += output.usage?.promptTokens ?? estimatedPrompt
        if (output.usage !== undefined) completionTokens += output.usage.completionTokens
        const counted = output.usage !== undefined
        // the upstream's own counts are held to the run's prompt budget, summed over its turns
        if (counted && run.maxPromptTokens !== null && promptTokens > run.maxPromptTokens) {
          output = { _tag: "Incomplete", reason: "max_prompt_tokens" }
        }
        if (streamed !== undefined && output._tag === "ToolCalls") {
          if (streamedDone === undefined) yield* completeStreamed
          // completed as the calls began, before this turn's counts were known
          else yield* store.steps.put({ ...streamedDone, usage: usage() })
        }
        // the turn's last writes and the run's end are one transaction: a turn cut short between
        // them would be made again, and its reply written twice
        switch (output._tag) {
          case "Fail": {
            const failedAt = yield* seconds
            yield* atomically(Effect.zipRight(
              endStreamed("run_failed"),
              finish(run, "failed", {
                failedAt,
                lastError: { code: output.code, message: output.message },
                usage: usage()
              })
            ))
            return ended
          }
          case "Incomplete": {
            yield* atomically(Effect.zipRight(
              endStreamed("max_tokens"),
              finish(run, "incomplete", { incompleteDetails: { reason: output.reason }, usage: usage() })
            ))
            return ended
          }
          case "ToolCalls": {
            const calls = output.calls.map((c, index) => ({
              id: liveCalls.get(index)?.id ?? Ids.make("call"),
              type: "function" as const,
              function: { name: c.name, arguments: c.arguments }
            }))
            if (!counted) completionTokens += calls.reduce((n, c) => n + words(c.function.arguments), 0)
            const toolStep: RunStep = {
              ...base,
              id: liveStep?.id ?? Ids.make("step"),
              createdAt: liveStep?.createdAt ?? (yield* seconds),
              type: "tool_calls",
              stepDetails: {
                type: "tool_calls",
                toolCalls: calls.map((c) => ({ ...c, function: { ...c.function, output: null } }))
              }
            }
            if (liveStep === undefined) {
              // as the API streams it: the step opens with no calls, the deltas bring them in
              const opened: RunStep = { ...toolStep, stepDetails: { type: "tool_calls", toolCalls: [] } }
              yield* saveStep(opened, "created")
              yield* publish({ event: "thread.run.step.in_progress", data: opened })
            }
            for (let index = 0; index < calls.length; index++) {
              const call = calls[index]
              const live = liveCalls.get(index)
              if (live !== undefined) {
                // streamed as it arrived; what the upstream's final call holds beyond that follows
                const rest = call.function.arguments.startsWith(live.arguments)
                  ? call.function.arguments.slice(live.arguments.length)
                  : ""
                if (rest !== "") yield* publishCallPiece(toolStep.id, index, rest)
                continue
              }
              const parts = streamPieces(output.calls[index])
              for (let n = 0; n === 0 || n < parts.length; n++) {
                if (paced) yield* Effect.sleep(delta)
                yield* publishCallPiece(
                  toolStep.id,
                  index,
                  parts[n] ?? "",
                  n === 0 ? { id: call.id, name: call.function.name } : undefined
                )
              }
            }
            yield* store.steps.put(toolStep)
            if (yield* interruption(run)) return ended
            yield* saveRun({
              ...(yield* current(run)),
              status: "requires_action",
              requiredAction: { type: "submit_tool_outputs", submitToolOutputs: { toolCalls: calls } }
            })
            const waiting: TurnResult = {
              _tag: "Waiting",
              stepId: toolStep.id,
              calls: calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
              promptTokens,
              completionTokens
            }
            return waiting
          }
          case "Reply": {
            if (streamed !== undefined) {
              if (!counted) completionTokens += words(output.text)
              yield* replied(streamed.message, streamed.step, output.text)
              return ended
            }
            const { message, step: messageStep } = yield* openMessage
            yield* pause(step)
            // a run cancelled (or expired) while its reply is written ends the message first, with
            // what was written, then the run: a stream of the run sees both
            let written = ""
            let ending = yield* due(run)
            if (ending === undefined) {
              for (const piece of streamPieces(output)) {
                if (paced) {
                  yield* Effect.sleep(delta)
                  ending = yield* due(run)
                  if (ending !== undefined) break
                }
                written += piece
                yield* publish({
                  event: "thread.message.delta",
                  data: {
                    id: message.id,
                    object: "thread.message.delta",
                    delta: { content: [{ index: 0, type: "text", text: { value: piece } }] }
                  }
                })
              }
            }
            if (ending !== undefined) {
              const now = yield* seconds
              yield* saveMessage({
                ...message,
                status: "incomplete",
                incompleteAt: now,
                incompleteDetails: { reason: ending.status === "cancelled" ? "run_cancelled" : "run_expired" },
                content: written === "" ? [] : [{ type: "text", text: { value: written, annotations: [] } }]
              }, "incomplete")
              yield* end(ending)
              return ended
            }
            if (!counted) completionTokens += words(output.text)
            yield* replied(message, messageStep, output.text)
            return ended
          }
        }
      }).pipe(Effect.ensuring(Effect.sync(() => cancels.delete(input.runId))))

    /** The outputs arrived: the tool_calls step completes with them. */
    const outputsIn = (waiting: typeof TurnResult.members[1]["Type"], outputs: typeof ToolOutputs.Type) =>
      Effect.gen(function*() {
        const toolStep = yield* store.steps.get(waiting.stepId)
        if (toolStep === undefined || toolStep.stepDetails.type !== "tool_calls") return
        const byId = new Map(outputs.map((o) => [o.toolCallId, o.output]))
        const { completionTokens, promptTokens } = waiting
        yield* saveStep({
          ...toolStep,
          status: "completed",
          completedAt: yield* seconds,
          usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
          stepDetails: {
            type: "tool_calls",
            toolCalls: toolStep.stepDetails.toolCalls.map((c) =>
              c.type === "function" ? { ...c, function: { ...c.function, output: byId.get(c.id) ?? "" } } : c
            )
          }
        }, "completed")
      }).pipe(Effect.asVoid)

    /** A wait ended by a cancel or by `expires_at`: the run ends so. */
    const endWait = (runId: string, status: "cancelled" | "expired") =>
      Effect.gen(function*() {
        const run = yield* store.runs.get(runId)
        if (run === undefined || terminalStatuses.has(run.status)) return
        yield* end({ run, status })
      }).pipe(Effect.asVoid)

    /** Sets the run's `expires_at` clock, once: it ends a wait still open then. */
    const scheduleExpiry = (runId: string) =>
      Effect.gen(function*() {
        const run = yield* store.runs.get(runId)
        if (run === undefined || run.expiresAt === null) return
        const due = Duration.millis(Math.max(0, run.expiresAt * 1000 - (yield* Clock.currentTimeMillis)))
        if (clocks !== undefined) {
          const expire = DurableDeferred.succeed(expiryCheck.deferred, {
            token: tokenFor(expiryCheck.deferred, runId),
            value: undefined
          })
          yield* FiberMap.run(
            clocks,
            runId,
            Effect.delay(Effect.zipRight(expire, resumed(runId, "requires_action")), due).pipe(
              Effect.provideService(WorkflowEngine.WorkflowEngine, engine)
            ),
            { onlyIfMissing: true }
          )
          return
        }
        const instance = yield* WorkflowEngine.WorkflowInstance
        yield* engine.scheduleClock(instance.workflow, {
          executionId: instance.executionId,
          // the clock of `expiryCheck` (its deferred and its schemas), due when the run expires
          clock: { ...expiryCheck, duration: due }
        })
      })

    /**
     * Waits for the first of: the outputs, a cancel, `expires_at`. Suspends the workflow until one
     * of them is there; a replay reads the recorded answer.
     */
    const wait = (runId: string, round: number, firstCallId: string) =>
      Effect.gen(function*() {
        const instance = yield* WorkflowEngine.WorkflowInstance
        const check = <A extends Schema.Schema.Any>(deferred: DurableDeferred.DurableDeferred<A>) =>
          Workflow.wrapActivityResult(engine.deferredResult(deferred), Predicate.isUndefined)
        const look = options.resumeAfterSignal === true ? yield* Deferred.make<boolean>() : undefined
        if (look !== undefined) looks.set(runId, look)
        const checks = Effect.gen(function*() {
          const outputs = yield* check(outputsSignal(firstCallId))
          if (outputs !== undefined && Exit.isSuccess(outputs)) {
            return { _tag: "Outputs", outputs: outputs.value } as const
          }
          if ((yield* check(CancelSignal)) !== undefined) return { _tag: "Cancelled" } as const
          if ((yield* check(expiryCheck.deferred)) !== undefined) return { _tag: "Expired" } as const
          return undefined
        })
        const found: WaitResult | undefined = yield* (look === undefined ? checks : Effect.onExit(
          checks,
          // a look cut short (the workflow interrupted, say) counts as one that found nothing: a
          // signal waiting on it follows the workflow until it stops
          (exit) => Deferred.succeed(look, !Exit.isSuccess(exit) || exit.value === undefined)
        ))
        // suspending, the look stays recorded until the workflow runs again (see `resumed`)
        if (look !== undefined && found !== undefined && looks.get(runId) === look) looks.delete(runId)
        if (found === undefined) return yield* Workflow.suspend(instance)
        // recorded: a replay after, say, a cancel that came later still takes this way
        return yield* recorded(`wait/${round}`, WaitResult, Effect.succeed(found))
      })

    const activities = new Map<string, Activity.Activity<any, typeof Schema.Never, ActivityBody>>()
    /**
     * The activity `name`, running `body`. Each name's `Activity` is made once, its body given
     * where it is yielded: an `Activity` carries schemas of its own, and the engine compiles a
     * schema made anew at each use.
     */
    const recorded = <A, I>(
      name: string,
      success: Schema.Schema<A, I>,
      body: Effect.Effect<A, never, WorkflowEngine.WorkflowInstance>
    ): Effect.Effect<A, never, WorkflowEngine.WorkflowEngine | WorkflowEngine.WorkflowInstance> => {
      let made = activities.get(name)
      if (made === undefined) {
        made = Activity.make({
          name,
          success,
          execute: Effect.flatten(ActivityBody) as Effect.Effect<
            A,
            never,
            ActivityBody | WorkflowEngine.WorkflowInstance
          >
        })
        activities.set(name, made)
      }
      return Effect.provideService(
        made as Activity.Activity<Schema.Schema<A, I>, typeof Schema.Never, ActivityBody>,
        ActivityBody,
        body
      )
    }

    const activity = <A, I>(
      name: string,
      success: Schema.Schema<A, I>,
      runId: string,
      fallback: A,
      body: Effect.Effect<A, unknown, WorkflowEngine.WorkflowInstance>
    ) => recorded(name, success, guarded(runId, fallback, body))

    const execute = (payload: { readonly runId: string }) =>
      Effect.gen(function*() {
        const { runId } = payload
        // running again: a look recorded by the last run of it is over
        looks.delete(runId)
        const outputs: Array<ToolOutput> = []
        let promptTokens = 0
        let completionTokens = 0
        for (let round = 0;; round++) {
          const result = yield* activity(
            `turn/${round}`,
            TurnResult,
            runId,
            ended,
            turn({ runId, round, outputs: [...outputs], promptTokens, completionTokens })
          )
          if (result._tag === "Ended") return
          promptTokens = result.promptTokens
          completionTokens = result.completionTokens
          if (round === 0) yield* activity("expiry", Schema.Void, runId, undefined, scheduleExpiry(runId))
          const signal = yield* wait(runId, round, result.calls[0].id)
          if (signal._tag !== "Outputs") {
            const status = signal._tag === "Cancelled" ? "cancelled" as const : "expired" as const
            yield* activity(`${status}/${round}`, Schema.Void, runId, undefined, endWait(runId, status))
            return
          }
          yield* activity(`outputs/${round}`, Schema.Void, runId, undefined, outputsIn(result, signal.outputs))
          const byId = new Map(signal.outputs.map((o) => [o.toolCallId, o.output]))
          for (const c of result.calls) {
            outputs.push({ name: c.name, arguments: c.arguments, output: byId.get(c.id) ?? "", callId: c.id, round })
          }
        }
      }).pipe(
        // the run has ended (a suspension is an interruption): its clock has nothing left to end
        Effect.tap(() => clocks === undefined ? Effect.void : FiberMap.remove(clocks, payload.runId))
      )

    yield* engine.register(RunWorkflow, execute)

    // a cancel made through another process reaches the turn running here through the bus; in
    // one process the cancel itself interrupts the turn, and no event need be watched
    if (options.runner !== undefined) {
      yield* bus.subscribe.pipe(
        Effect.flatMap(Stream.runForEach((event) => {
          if (event.event !== "thread.run.cancelling") return Effect.void
          const latch = cancels.get(event.data.id)
          return latch === undefined ? Effect.void : Deferred.succeed(latch, undefined)
        })),
        Effect.forkScoped
      )
    }

    const scope = yield* Effect.scope
    /**
     * After a signal's transaction commits. `ClusterWorkflowEngine` hands a signal to the workflow
     * as it is written, inside the transaction: on PostgreSQL the workflow may look for it on
     * another connection before the commit, miss it, and suspend again. And `engine.resume` resumes
     * only a workflow that has suspended: one still in a look that began before the commit is left
     * alone, and suspends after. So the workflow is resumed now, then followed until its run leaves
     * the status the signal put it in (`queued` after outputs, `cancelling` after a cancel), which
     * only the workflow changes, and resumed whenever it is found suspended (see `afterSignal`).
     * A resume whose read came as the workflow was still suspending leaves it with no reply and
     * unread for minutes: its messages are read again at each look too.
     */
    // over `ClusterWorkflowEngine`, whose runner is in context
    const reread = yield* rereading(RunWorkflow)
    const follow = (runId: string, status: Run["status"]) => {
      const taken = Effect.flatMap(
        store.runs.get(runId),
        (run) =>
          run === undefined || run.status !== status
            ? Effect.succeed(true)
            : Effect.as(Effect.zipRight(engine.resume(RunWorkflow, runId), reread(runId)), false)
      )
      return Effect.zipRight(
        engine.resume(RunWorkflow, runId),
        taken.pipe(
          Effect.repeat({ schedule: afterSignal, until: (done) => done }),
          Effect.delay(afterSignalFirst),
          Effect.catchAllCause((cause) =>
            Cause.isInterruptedOnly(cause)
              ? Effect.void
              : Effect.logWarning(`run ${runId}: could not follow its workflow after a signal`, cause)
          ),
          Effect.forkIn(scope)
        )
      )
    }
    const resumed = (runId: string, status: Run["status"]) =>
      options.resumeAfterSignal !== true ? follow(runId, status) : Effect.gen(function*() {
        const look = looks.get(runId)
        // not in a wait: the workflow looks for the signal when it gets to one
        if (look === undefined) return
        // in one: a look under way may have missed the signal; one that found something goes on
        if (!(yield* Deferred.await(look))) return
        // it found nothing and is suspending: resumed once it has stopped. The window is a few
        // steps of the workflow's own fiber (yields, not time); it closes early if the workflow
        // runs again meanwhile (the engine resumed it, its fiber having stopped already)
        for (let i = 0; i < 1000 && looks.get(runId) === look; i++) {
          const result = yield* engine.poll(RunWorkflow, runId)
          if (result !== undefined) {
            if (result._tag === "Suspended") yield* engine.resume(RunWorkflow, runId)
            return
          }
          yield* Effect.yieldNow()
        }
      })

    const isLive = (run: Run) => !terminalStatuses.has(run.status) && run.status !== "cancelling"
    const tokenFor = <A extends Schema.Schema.Any>(deferred: DurableDeferred.DurableDeferred<A>, runId: string) =>
      DurableDeferred.tokenFromExecutionId(deferred, { workflow: RunWorkflow, executionId: runId })

    const database: ReadonlyArray<Check> = Option.isNone(sql) ? [] : [{
      name: "database",
      ready: sql.value`SELECT 1`.pipe(Effect.as(true), Effect.catchAll(() => Effect.succeed(false)))
    }]

    return RunEngine.of({
      timings,
      events: bus.events,
      subscribe: bus.subscribe,
      checks: [...database, { name: "events", ready: bus.ready }, ...(options.checks ?? [])],
      start: (run) =>
        Effect.gen(function*() {
          yield* changed(run, "created")
          yield* changed(run)
          yield* engine.execute(RunWorkflow, { executionId: run.id, payload: { runId: run.id }, discard: true })
        }),
      submitToolOutputs: (run, outputs) =>
        Effect.gen(function*() {
          if (run.status !== "requires_action" || run.requiredAction === null) {
            return yield* Effect.fail(
              invalid(`Runs in status "${run.status}" do not accept tool outputs.`, "tool_outputs")
            )
          }
          const expected = run.requiredAction.submitToolOutputs.toolCalls.map((c) => c.id)
          const given = outputs.map((o) => o.toolCallId)
          const unknown = given.find((id) => !expected.includes(id))
          if (unknown !== undefined) {
            return yield* Effect.fail(
              invalid(`Tool call '${unknown}' is not one of the calls this run is waiting for.`, "tool_outputs")
            )
          }
          const duplicate = given.find((id, i) => given.indexOf(id) !== i)
          if (duplicate !== undefined) {
            return yield* Effect.fail(
              invalid(`Tool output for call '${duplicate}' was given more than once.`, "tool_outputs")
            )
          }
          const missing = expected.filter((id) => !given.includes(id))
          if (missing.length > 0) {
            return yield* Effect.fail(
              invalid(
                `Expected tool outputs for call_ids ${JSON.stringify(expected)}, got ${JSON.stringify(given)}`,
                "tool_outputs"
              )
            )
          }
          const next: Run = { ...run, status: "queued", requiredAction: null }
          const signal = outputsSignal(expected[0])
          // the run's new status and its outputs are kept together, or neither is
          yield* store.transaction(Effect.zipRight(
            store.runs.put(next),
            DurableDeferred.succeed(signal, { token: tokenFor(signal, run.id), value: outputs })
          ))
          yield* changed(next)
          yield* resumed(run.id, next.status)
          return next
        }).pipe(Effect.provideService(WorkflowEngine.WorkflowEngine, engine)),
      cancel: (run) =>
        Effect.gen(function*() {
          if (!isLive(run)) {
            return yield* Effect.fail(invalid(`Cannot cancel run with status '${run.status}'.`, null))
          }
          const next: Run = { ...run, status: "cancelling" }
          yield* store.transaction(Effect.zipRight(
            store.runs.put(next),
            DurableDeferred.succeed(CancelSignal, { token: tokenFor(CancelSignal, run.id), value: undefined })
          ))
          yield* changed(next)
          yield* resumed(run.id, next.status)
          const latch = cancels.get(run.id)
          if (latch !== undefined) yield* Deferred.succeed(latch, undefined)
          return next
        }).pipe(Effect.provideService(WorkflowEngine.WorkflowEngine, engine)),
      forget: (runId) =>
        Effect.gen(function*() {
          looks.delete(runId)
          if (clocks !== undefined) yield* FiberMap.remove(clocks, runId)
          const latch = cancels.get(runId)
          if (latch !== undefined) yield* Deferred.succeed(latch, undefined)
          yield* engine.interrupt(RunWorkflow, runId)
        })
    })
  })

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly timings?: Partial<Timings> | undefined
  /** The runner's settings, over {@link defaultShardingConfig}. */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}

/**
 * The run engine on the workflow engine's in-memory storage: the same workflow, nothing kept
 * across a restart (tests, `--memory`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (timings: Partial<Timings> = {}): Layer.Layer<RunEngine, never, Store | Model> =>
  Layer.scoped(RunEngine, make({ ...defaultTimings, ...timings }, { resumeAfterSignal: true })).pipe(
    Layer.provide([WorkflowEngine.layerMemory, RunEvents.layerLocal])
  )

/**
 * The run engine on `ClusterWorkflowEngine`, a single runner whose message and runner storage is
 * the SQL database in context (the one the `Store` keeps its objects in).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSql = (
  options: Options = {}
): Layer.Layer<RunEngine, ConfigError.ConfigError, Store | Model | SqlClient.SqlClient> => {
  const shardingConfig = { ...defaultShardingConfig, ...options.shardingConfig }
  return Layer.scoped(
    RunEngine,
    Effect.zipRight(
      holdingShards({ ...ShardingConfig.defaults, ...shardingConfig }),
      make({ ...defaultTimings, ...options.timings })
    )
  ).pipe(
    Layer.provide([
      ClusterWorkflowEngine.layer.pipe(
        Layer.provideMerge(SingleRunner.layer({ shardingConfig, runnerStorage: "sql" }))
      ),
      RunEvents.layerLocal
    ])
  )
}

/**
 * What a cluster's runners change of `@effect/cluster`'s defaults: messages to a workflow are
 * polled every second, not every ten, so that a run whose runner was lost goes on quickly once
 * its shard has moved.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultClusterConfig: Partial<ShardingConfig.ShardingConfig["Type"]> = {
  entityMessagePollInterval: Duration.seconds(1)
}

/**
 * A runner of a cluster could not start: its address for the other runners is taken, say.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunnerError extends Data.TaggedError("RunnerError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** How often a runner has the unprocessed messages of its shards read again (see `layerCluster`). */
const resetInterval = "5 seconds"

/** `entityMessagePollInterval` -> `ENTITY_MESSAGE_POLL_INTERVAL`, as `ShardingConfig` reads the environment. */
const constantCase = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()

/**
 * The runner's address as its log lines name it.
 *
 * @since 0.1.0
 * @category getters
 */
export const runnerName = (config: Pick<ShardingConfig.ShardingConfig["Type"], "runnerAddress">): string =>
  Option.match(config.runnerAddress, {
    onNone: () => "client",
    onSome: ({ host, port }) => `${host.includes(":") ? `[${host}]` : host}:${port}`
  })

/**
 * The run engine as one runner of a cluster: every process on the same PostgreSQL database
 * serves the whole API, each run's workflow executes on the runner that owns its shard, and the
 * runners reach each other over `NodeClusterSocket` at their `runnerAddress`. The settings are
 * `options.shardingConfig`, over `ShardingConfig`'s environment variables (`HOST`, `PORT`,
 * `SHARD_LOCK_EXPIRATION`, ...), over {@link defaultClusterConfig}. A run's events reach the streams of
 * every process through the database (see `RunEvents.layerPg`), and each change of a run's status
 * is logged with the runner's address.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerCluster = (
  options: Options = {}
): Layer.Layer<
  RunEngine,
  ConfigError.ConfigError | RunnerError | StoreError,
  Store | Model | SqlClient.SqlClient
> =>
  Layer.unwrapEffect(Effect.map(ShardingConfig.configFromEnv, (fromEnv) => {
    // our defaults where the environment is silent
    const unset = Object.fromEntries(
      Object.entries(defaultClusterConfig).filter(([key]) => process.env[constantCase(key)] === undefined)
    )
    const config = { ...fromEnv, ...unset, ...options.shardingConfig }
    const engine = Layer.scoped(
      RunEngine,
      Effect.gen(function*() {
        const sharding = yield* Sharding.Sharding
        const storage = yield* MessageStorage.MessageStorage
        const shards = Array.from({ length: config.shardsPerGroup }, (_, i) => ShardId.make("default", i + 1))
        // A workflow's message read from storage is not read again for ten minutes unless its shard
        // is reset, and some are read without being processed: skipped while the same request was
        // running, then cut short with no reply (its runner lost its shard locks, or stopped).
        // Resetting the shards this runner holds every few seconds has them read again; the ones
        // running still are skipped again.
        yield* Effect.suspend(() => {
          const held = shards.filter(sharding.hasShardId)
          return held.length === 0 ? Effect.void : storage.resetShards(held)
        }).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning("could not reset the shards' messages", cause)),
          Effect.repeat(Schedule.spaced(resetInterval)),
          Effect.delay(resetInterval),
          Effect.forkScoped
        )
        return yield* make({ ...defaultTimings, ...options.timings }, {
          runner: runnerName(config),
          checks: [{
            name: "shards",
            // this runner took part: it holds shards, and is not stopping
            ready: Effect.map(sharding.isShutdown, (down) => !down && shards.some(sharding.hasShardId))
          }]
        })
      })
    )
    // runners started together take turns to create the cluster's tables
    return Sql.layerExclusively(engine.pipe(
      Layer.provide(ClusterWorkflowEngine.layer),
      Layer.provide(
        // loaded only for a cluster: the sockets, their RPC and serialization
        Layer.unwrapEffect(
          Effect.promise(() => import("@effect/platform-node/NodeClusterSocket")).pipe(
            Effect.map((NodeClusterSocket) => NodeClusterSocket.layer({ storage: "sql", shardingConfig: config }))
          )
        ).pipe(
          Layer.mapError((error) =>
            error._tag === "SocketServerError"
              ? new RunnerError({
                message: `cannot listen for other runners at ${runnerName(config)}: ${error.message}`,
                cause: error
              })
              : error
          )
        )
      ),
      Layer.provide(RunEvents.layerPg)
    ))
  }))
