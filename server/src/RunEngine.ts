/**
 * The run engine's service: what the routes use to start, signal and follow runs. Runs go through
 * the API's state machine:
 *
 * ```
 * queued -> in_progress -> (requires_action -> queued -> in_progress)* -> completed
 *                                                                    | failed | incomplete
 *        any of the above -> cancelling -> cancelled  (on cancel)
 *        requires_action  -> expired                  (past expires_at)
 * ```
 *
 * Each run is a durable workflow (see `RunWorkflow`, which builds this service on a workflow
 * engine). Timestamps are set at each step, run steps are recorded (`message_creation`, and
 * `tool_calls` with `function` calls), the assistant's messages carry `assistant_id` and `run_id`,
 * and `usage` is filled at the end. Every change is also published as an {@link Event}, named and
 * ordered as the API's stream events are, which streamed runs are served from (see `Sse`):
 *
 * ```
 * thread.run.created, thread.run.queued, thread.run.in_progress,
 * for a reply:      thread.run.step.created, thread.run.step.in_progress (message_creation),
 *                   thread.message.created, thread.message.in_progress, thread.message.delta...,
 *                   thread.message.completed, thread.run.step.completed
 * for tool calls:   thread.run.step.created, thread.run.step.in_progress (tool_calls, no calls yet),
 *                   thread.run.step.delta... (each call's id and name, then its arguments in pieces),
 *                   thread.run.requires_action; once outputs arrive: thread.run.queued,
 *                   thread.run.step.completed (with the outputs), thread.run.in_progress, ...
 * the end:          thread.run.completed | incomplete | failed | cancelled | expired
 * ```
 *
 * @since 0.1.0
 */
import type { Message } from "effect-assistants/Message"
import type { Run } from "effect-assistants/Run"
import type { RunStep } from "effect-assistants/RunStep"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { ApiError } from "./ApiError.js"
import type { StoreError } from "./Store.js"

/**
 * How long each step takes. The defaults let a watcher polling every 100 ms see every status of
 * a run, and still finish a tool-calling run in about two seconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Timings {
  /** From `queued` to `in_progress`. */
  readonly queued: Duration.DurationInput
  /** Each step of work: thinking before a tool call or reply, writing the reply. */
  readonly step: Duration.DurationInput
  /** From `cancelling` to `cancelled`. */
  readonly cancelling: Duration.DurationInput
  /** A run's lifetime: `expires_at` is this after its creation, rounded up to a whole second. */
  readonly expiresAfter: Duration.DurationInput
  /** The `openai-poll-after-ms` header sent on run reads. */
  readonly pollAfterMillis: number
  /**
   * The pause before each piece of a streamed answer (a word of the reply, a piece of a call's
   * arguments). Default none: the pieces are published at once.
   */
  readonly delta?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultTimings: Timings = {
  queued: "250 millis",
  step: "400 millis",
  cancelling: "150 millis",
  expiresAfter: "10 minutes",
  pollAfterMillis: 100
}

/**
 * A piece of a message being written, as `thread.message.delta` carries it (the client's
 * `StreamEvent.MessageDelta`, of which the server writes text parts only).
 *
 * @since 0.1.0
 * @category models
 */
export interface MessageDelta {
  readonly id: string
  readonly object: "thread.message.delta"
  readonly delta: {
    readonly content: ReadonlyArray<{
      readonly index: number
      readonly type: "text"
      readonly text: { readonly value: string }
    }>
  }
}

/**
 * A piece of a run step's tool calls, as `thread.run.step.delta` carries it (the client's
 * `StreamEvent.RunStepDelta`, of which the server writes function calls only). The first piece
 * of a call has its `id` and `name`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunStepDelta {
  readonly id: string
  readonly object: "thread.run.step.delta"
  readonly delta: {
    readonly stepDetails: {
      readonly type: "tool_calls"
      readonly toolCalls: ReadonlyArray<{
        readonly index: number
        readonly id?: string
        readonly type: "function"
        readonly function: { readonly name?: string; readonly arguments: string; readonly output?: null }
      }>
    }
  }
}

/**
 * One change, named as the API's stream events (`thread.run.requires_action`,
 * `thread.run.step.completed`, `thread.message.delta`, ...); `data.object` tells the kinds apart.
 *
 * @since 0.1.0
 * @category models
 */
export type Event =
  | { readonly event: `thread.run.${string}`; readonly data: Run }
  | { readonly event: `thread.run.step.${string}`; readonly data: RunStep }
  | { readonly event: `thread.message.${string}`; readonly data: Message }
  | { readonly event: "thread.message.delta"; readonly data: MessageDelta }
  | { readonly event: "thread.run.step.delta"; readonly data: RunStepDelta }

/**
 * One of the things a process needs to serve (`/readyz` asks each).
 *
 * @since 0.1.0
 * @category models
 */
export interface Check {
  readonly name: string
  readonly ready: Effect.Effect<boolean>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RunEngine extends Context.Tag("effect-assistants/server/RunEngine")<RunEngine, {
  /** Starts the workflow of a run just stored as `queued` (its id is the execution id). */
  readonly start: (run: Run) => Effect.Effect<void>
  /**
   * Accepts tool outputs for a run in `requires_action`, all calls at once: the run's status and
   * the outputs are kept together (one transaction), then its workflow goes on.
   */
  readonly submitToolOutputs: (
    run: Run,
    outputs: ReadonlyArray<{ readonly toolCallId: string; readonly output: string }>
  ) => Effect.Effect<Run, ApiError | StoreError>
  /** Moves a live run to `cancelling`; its workflow finishes it as `cancelled`. */
  readonly cancel: (run: Run) => Effect.Effect<Run, ApiError | StoreError>
  /** Stops the workflow of a run whose thread is deleted. */
  readonly forget: (runId: string) => Effect.Effect<void>
  /** Every change, as it happens, from when the stream starts. */
  readonly events: Stream.Stream<Event>
  /**
   * Every change from now on: the subscription is taken at once (before, say, the run this
   * subscriber wants to follow is started) and lasts as long as the scope.
   */
  readonly subscribe: Effect.Effect<Stream.Stream<Event>, never, Scope.Scope>
  readonly timings: Timings
  /** What this process needs to serve: its database, its events, a cluster's shards. */
  readonly checks: ReadonlyArray<Check>
}>() {}

/**
 * A time in milliseconds as the API's timestamps are: whole Unix seconds.
 *
 * @since 0.1.0
 * @category time
 */
export const toSeconds = (millis: number): number => Math.floor(millis / 1000)

/**
 * The current time in Unix seconds, as the API's timestamps are.
 *
 * @since 0.1.0
 * @category time
 */
export const seconds = Effect.map(Clock.currentTimeMillis, toSeconds)

/**
 * The thread's messages as `truncation_strategy` leaves them: `last_messages: n` keeps the last
 * `n`; `auto` keeps all of them (the upstream gets the whole thread).
 *
 * @since 0.1.0
 * @category prompt
 */
export const truncate = (
  messages: ReadonlyArray<Message>,
  strategy: Run["truncationStrategy"] | undefined
): ReadonlyArray<Message> => {
  if (strategy == null || strategy.type !== "last_messages" || strategy.lastMessages == null) return messages
  const n = Math.max(0, strategy.lastMessages)
  return n === 0 ? [] : messages.slice(-n)
}
