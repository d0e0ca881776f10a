/**
 * Runs over time: polling a run into its status transitions, waiting until it settles, and the
 * tool loop that answers its tool calls.
 *
 * This module works over the three run operations it needs ({@link RunOperations}), which the
 * `Runs` service provides; `Runs` binds them for you, and that is where most programs call
 * these from: `Runs.watch`, `Runs.createAndPoll`, `Runs.submitToolOutputsAndPoll`,
 * `Runs.runTools`, `Runs.createAndRunTools`, `Runs.ensureCompleted`. The types here
 * (`RunTransition`, `PollOptions`, `ToolLoopEvent`, ...) are re-exported from `Runs` too.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import {
  type AssistantsError,
  RunCancelledError,
  RunExpiredError,
  RunFailedError,
  RunIncompleteError,
  type RunOutcomeError,
  TimeoutError,
  ToolRoundsExceededError
} from "../errors/AssistantsError.js"
import type { Response } from "../layers/AssistantsClient.js"
import { type Run, type RunStatus, type RunToolCall, terminalStatuses } from "../schema/Run.js"
import { unknownFunction } from "./internal/toolOutput.js"
import type * as Tool from "./Tool.js"

/**
 * The ids of a run.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunIds {
  readonly threadId: string
  readonly runId: string
}

/**
 * One status change of a run.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunTransition {
  /** `None` for the first status seen. */
  readonly previous: Option.Option<RunStatus>
  readonly current: RunStatus
  readonly run: Run
}

/**
 * How to poll.
 *
 * @since 0.1.0
 * @category models
 */
export interface PollOptions {
  /**
   * A fixed delay between polls. Unset: the server's `openai-poll-after-ms`, else 1 second.
   */
  readonly interval?: Duration.DurationInput | undefined
  /** Replaces the interval: each poll waits for the schedule's next delay (input: the run). The
   * stream ends when the schedule does. */
  readonly schedule?: Schedule.Schedule<unknown, Run> | undefined
  /** An overall deadline; past it the stream fails with `TimeoutError`. */
  readonly deadline?: Duration.DurationInput | undefined
}

/**
 * The options of a tool loop.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolLoopOptions<T extends Tool.Any> extends PollOptions {
  readonly tools: ReadonlyArray<T>
  /** Handlers running at once within one round. Default 8. */
  readonly concurrency?: number | undefined
  /** Rounds of tool calls allowed before the run is cancelled. Default 10. */
  readonly maxRounds?: number | undefined
}

/**
 * What a tool loop reports as it goes.
 *
 * @since 0.1.0
 * @category models
 */
export type ToolLoopEvent =
  | { readonly _tag: "Transition"; readonly transition: RunTransition }
  | { readonly _tag: "ToolCall"; readonly call: RunToolCall; readonly output: string }

/**
 * The error type of a list of declared tools' handlers.
 *
 * @since 0.1.0
 * @category models
 */
export type ToolError<T> = T extends Tool.Handler<any, infer E, any> ? E : never

/**
 * The context type of a list of declared tools' handlers.
 *
 * @since 0.1.0
 * @category models
 */
export type ToolContext<T> = T extends Tool.Handler<any, any, infer R> ? R : never

/**
 * The run operations polling and the tool loop are built on. The `Runs` service is one.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOperations {
  readonly getWithHeaders: (params: RunIds) => Effect.Effect<Response<Run>, AssistantsError>
  readonly submitToolOutputsWithHeaders: (
    params: RunIds & {
      readonly run?: Run | undefined
      readonly toolOutputs: ReadonlyArray<{ readonly toolCallId: string; readonly output: string }>
    }
  ) => Effect.Effect<Response<Run>, AssistantsError>
  readonly cancel: (params: RunIds) => Effect.Effect<Run, AssistantsError>
}

/**
 * A run seen before polling starts: the answer of a create or a submit, with the status it had
 * before (if known) and the server's `openai-poll-after-ms`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Seed {
  readonly run: Run
  readonly previous: Option.Option<RunStatus>
  readonly pollAfterMillis?: number | undefined
}

const defaultInterval = Duration.seconds(1)

/**
 * Whether watching stops at this status: a terminal one, or `requires_action`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isSettled = (status: RunStatus): boolean => terminalStatuses.has(status) || status === "requires_action"

const pollAfterOf = (headers: Readonly<Record<string, string | undefined>>): number | undefined => {
  const raw = headers["openai-poll-after-ms"]
  if (raw === undefined) return undefined
  const n = Number(raw)
  return Number.isFinite(n) && n >= 0 ? n : undefined
}

/**
 * The seed of a watch from the answer of a create or a submit.
 *
 * @since 0.1.0
 * @category constructors
 */
export const seedOf = (response: Response<Run>, previous: Option.Option<RunStatus>): Seed => ({
  run: response.value,
  previous,
  pollAfterMillis: pollAfterOf(response.headers)
})

/** A `requires_action` that still lists calls already answered is a stale read, not a new state. */
const isStale = (run: Run, answered: ReadonlySet<string> | undefined) =>
  answered !== undefined &&
  run.status === "requires_action" &&
  run.requiredAction !== null &&
  run.requiredAction.submitToolOutputs.toolCalls.every((c) => answered.has(c.id))

interface State {
  readonly previous: Option.Option<RunStatus>
  readonly wait: Effect.Effect<boolean> | undefined
}

/** One poll: what it emits (at most one transition) and the state to poll from next, if any. */
type Step = (
  state: State
) => Effect.Effect<readonly [Chunk.Chunk<RunTransition>, Option.Option<State>], AssistantsError>

/**
 * The polling of a run as a first state and a step, which both the stream of transitions and the
 * poll loop drive. The deadline is applied by their callers.
 */
const poller = (
  get: Effect.Effect<Response<Run>, AssistantsError>,
  options: PollOptions,
  seed?: Seed,
  answered?: ReadonlySet<string>
): Effect.Effect<{ readonly first: State; readonly step: Step }> =>
  Effect.gen(function*() {
    const fixed = options.interval === undefined ? undefined : Duration.decode(options.interval)
    const driver = options.schedule === undefined ? undefined : yield* Schedule.driver(options.schedule)
    /** The wait before the next poll; `false` when the schedule is done. */
    const waitAfter = (run: Run, pollAfterMillis: number | undefined): Effect.Effect<boolean> => {
      if (driver !== undefined) {
        // `next` sleeps for the schedule's delay, and fails once the schedule is done
        return Effect.match(driver.next(run), { onFailure: () => false, onSuccess: () => true })
      }
      const delay = fixed ?? (pollAfterMillis !== undefined ? Duration.millis(pollAfterMillis) : defaultInterval)
      return Effect.as(Effect.sleep(delay), true)
    }
    const step: Step = (state) =>
      Effect.gen(function*() {
        if (state.wait !== undefined && !(yield* state.wait)) {
          return [Chunk.empty<RunTransition>(), Option.none<State>()] as const
        }
        const { headers, value: run } = yield* get
        const pollAfter = pollAfterOf(headers)
        if (isStale(run, answered)) {
          return [
            Chunk.empty<RunTransition>(),
            Option.some<State>({ previous: state.previous, wait: waitAfter(run, pollAfter) })
          ] as const
        }
        const changed = Option.isNone(state.previous) || state.previous.value !== run.status
        const out = changed
          ? Chunk.of<RunTransition>({ previous: state.previous, current: run.status, run })
          : Chunk.empty<RunTransition>()
        return [
          out,
          isSettled(run.status)
            ? Option.none<State>()
            : Option.some<State>({ previous: Option.some(run.status), wait: waitAfter(run, pollAfter) })
        ] as const
      })
    const first: State = seed === undefined
      ? { previous: Option.none(), wait: undefined }
      : { previous: Option.some(seed.run.status), wait: waitAfter(seed.run, seed.pollAfterMillis) }
    return { first, step }
  })

/** The overall deadline, and the error it fails with once passed. */
const deadlineOf = (deadline: Duration.DurationInput | undefined, what: string) => {
  if (deadline === undefined) return undefined
  const duration = Duration.decode(deadline)
  return {
    duration,
    error: () =>
      new TimeoutError({
        message: `${what} did not finish within ${Duration.format(duration)}`,
        timeoutMillis: Duration.toMillis(duration),
        outcome: "unknown"
      })
  }
}

/** Fails the stream with `TimeoutError` once `deadline` has passed, interrupting what it runs. */
const failPastDeadline = <A, E, R>(
  stream: Stream.Stream<A, E, R>,
  deadline: Duration.DurationInput | undefined,
  what: string
): Stream.Stream<A, E | TimeoutError, R> => {
  const limit = deadlineOf(deadline, what)
  return limit === undefined
    ? stream
    : Stream.interruptWhen(stream, Effect.zipRight(Effect.sleep(limit.duration), Effect.failSync(limit.error)))
}

/**
 * The status transitions of a run: one element per change (the first has no `previous`), ending
 * after a terminal status or `requires_action`; past `deadline`, `TimeoutError`. With a `seed`, the
 * seed's run is the first element and polling waits before its first read. Reads of
 * `requires_action` that list only calls in `answered` are stale and skipped.
 *
 * @since 0.1.0
 * @category polling
 */
export const watch = (
  operations: RunOperations,
  params: RunIds & PollOptions,
  seed?: Seed,
  answered?: ReadonlySet<string>
): Stream.Stream<RunTransition, AssistantsError> => {
  const get = operations.getWithHeaders({ threadId: params.threadId, runId: params.runId })
  const transitions = Stream.unwrap(Effect.map(poller(get, params, seed, answered), ({ first, step }) => {
    const polled = Stream.paginateChunkEffect(first, step)
    if (seed === undefined) return polled
    const head = Stream.make<Array<RunTransition>>({ previous: seed.previous, current: seed.run.status, run: seed.run })
    return isSettled(seed.run.status) ? head : Stream.concat(head, polled)
  }))
  return failPastDeadline(transitions, params.deadline, `run ${params.runId}`)
}

/**
 * Polls from a seed until the run is terminal or requires action; the last run seen. The same
 * polling as {@link watch}, driven in a loop of its own rather than through a stream: a caller that
 * wants only the last run does not wait for a stream's machinery.
 *
 * @since 0.1.0
 * @category polling
 */
export const poll = (
  operations: RunOperations,
  params: RunIds & PollOptions,
  seed: Seed,
  answered?: ReadonlySet<string>
): Effect.Effect<Run, AssistantsError> => {
  if (isSettled(seed.run.status)) return Effect.succeed(seed.run)
  const get = operations.getWithHeaders({ threadId: params.threadId, runId: params.runId })
  const polled = Effect.flatMap(poller(get, params, seed, answered), ({ first, step }) => {
    const loop = (state: State, last: Run): Effect.Effect<Run, AssistantsError> =>
      Effect.flatMap(step(state), ([out, next]) => {
        const run = Chunk.isNonEmpty(out) ? Chunk.headNonEmpty(out).run : last
        return Option.isNone(next) ? Effect.succeed(run) : loop(next.value, run)
      })
    return loop(first, seed.run)
  })
  const limit = deadlineOf(params.deadline, `run ${params.runId}`)
  return limit === undefined ? polled : Effect.timeoutFail(polled, { duration: limit.duration, onTimeout: limit.error })
}

/**
 * Runs the handlers for a run's calls, concurrently up to `concurrency`. Unknown functions and
 * arguments that do not decode give error outputs.
 */
const answer = <T extends Tool.Any>(
  calls: ReadonlyArray<RunToolCall>,
  tools: ReadonlyArray<T>,
  concurrency: number
): Effect.Effect<Array<{ readonly call: RunToolCall; readonly output: string }>, ToolError<T>, ToolContext<T>> => {
  const byName = new Map(tools.map((t) => [t.name, t]))
  return Effect.forEach(
    calls,
    (call) => {
      const tool = byName.get(call.function.name)
      const result = tool === undefined ? unknownFunction(call.function.name) : tool.call(call.function.arguments)
      return typeof result === "string"
        ? Effect.succeed({ call, output: result })
        : Effect.map(result, (output) => ({ call, output }))
    },
    { concurrency }
  ) as Effect.Effect<Array<{ readonly call: RunToolCall; readonly output: string }>, ToolError<T>, ToolContext<T>>
}

/**
 * The tool loop: watch the run, answer each `requires_action` with the declared tools, submit all
 * outputs of a round in one request, resume, until the run is terminal. Arguments that do not
 * decode and unknown function names become error outputs for those calls; more than `maxRounds`
 * rounds cancel the run and fail with `ToolRoundsExceededError`. The deadline covers the whole loop.
 *
 * @since 0.1.0
 * @category tools
 */
export const toolLoop = <T extends Tool.Any>(
  operations: RunOperations,
  ids: RunIds,
  options: ToolLoopOptions<T>,
  seed?: Seed
): Stream.Stream<ToolLoopEvent, AssistantsError | ToolRoundsExceededError | ToolError<T>, ToolContext<T>> => {
  type LoopError = AssistantsError | ToolRoundsExceededError | ToolError<T>
  const maxRounds = options.maxRounds ?? 10
  const concurrency = options.concurrency ?? 8
  const pollOptions = { ...options, deadline: undefined }
  const round = (
    seed: Seed | undefined,
    n: number,
    answered: ReadonlySet<string> | undefined
  ): Stream.Stream<ToolLoopEvent, LoopError, ToolContext<T>> =>
    Stream.suspend(() => {
      let last: Run | undefined
      const watched = Stream.map(
        watch(operations, { ...pollOptions, ...ids }, seed, answered),
        (transition): ToolLoopEvent => {
          last = transition.run
          return { _tag: "Transition", transition }
        }
      )
      const next = Stream.unwrap(
        Effect.suspend(
          (): Effect.Effect<Stream.Stream<ToolLoopEvent, LoopError, ToolContext<T>>, LoopError, ToolContext<T>> => {
            const run = last
            if (run === undefined || run.status !== "requires_action" || run.requiredAction === null) {
              return Effect.succeed(Stream.empty)
            }
            if (n >= maxRounds) {
              return Effect.zipRight(
                Effect.ignore(operations.cancel(ids)),
                Effect.fail(
                  new ToolRoundsExceededError({
                    ...ids,
                    maxRounds,
                    message: `run ${ids.runId} asked for more than ${maxRounds} rounds of tool calls; it was cancelled`
                  })
                )
              )
            }
            const calls = run.requiredAction.submitToolOutputs.toolCalls
            return Effect.gen(function*() {
              const results = yield* answer(calls, options.tools, concurrency)
              const response = yield* operations.submitToolOutputsWithHeaders({
                ...ids,
                run,
                toolOutputs: results.map((r) => ({ toolCallId: r.call.id, output: r.output }))
              })
              return Stream.concat(
                Stream.fromIterable(
                  results.map((r): ToolLoopEvent => ({ _tag: "ToolCall", call: r.call, output: r.output }))
                ),
                round(seedOf(response, Option.some(run.status)), n + 1, new Set(calls.map((c) => c.id)))
              )
            })
          }
        )
      )
      return Stream.concat(watched, next)
    })
  return failPastDeadline(round(seed, 0, undefined), options.deadline, `run ${ids.runId}`)
}

/**
 * The terminal run of a tool loop: drains its events and keeps the last run seen.
 *
 * @since 0.1.0
 * @category tools
 */
export const lastRun = <E, R>(events: Stream.Stream<ToolLoopEvent, E, R>): Effect.Effect<Run, E, R> =>
  Effect.flatMap(
    Stream.runFold(
      events,
      undefined as Run | undefined,
      (last, e) => (e._tag === "Transition" ? e.transition.run : last)
    ),
    (run) => (run === undefined ? Effect.dieMessage("a tool loop ended without seeing its run") : Effect.succeed(run))
  )

/**
 * Succeeds with a completed run; any other status fails with the matching error:
 * `RunFailedError` (with `lastError`), `RunCancelledError`, `RunExpiredError`, and
 * `RunIncompleteError` for `incomplete` or a run that has not finished (its status as `reason`).
 *
 * @since 0.1.0
 * @category polling
 */
export const ensureCompleted = (run: Run): Effect.Effect<Run, RunOutcomeError> => {
  const ids = { runId: run.id, threadId: run.threadId }
  switch (run.status) {
    case "completed":
      return Effect.succeed(run)
    case "failed":
      return Effect.fail(
        new RunFailedError({
          ...ids,
          lastError: run.lastError,
          message: `run ${run.id} failed${run.lastError ? `: ${run.lastError.message}` : ""}`
        })
      )
    case "cancelled":
      return Effect.fail(new RunCancelledError({ ...ids, message: `run ${run.id} was cancelled` }))
    case "expired":
      return Effect.fail(new RunExpiredError({ ...ids, message: `run ${run.id} expired` }))
    default: {
      const reason = run.status === "incomplete" ? run.incompleteDetails?.reason : run.status
      return Effect.fail(
        new RunIncompleteError({
          ...ids,
          ...(reason !== undefined ? { reason } : {}),
          message: `run ${run.id} did not complete (${reason ?? run.status})`
        })
      )
    }
  }
}
