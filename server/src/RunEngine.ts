/**
 * Drives runs through the API's state machine:
 *
 * ```
 * queued -> in_progress -> (requires_action -> queued -> in_progress)* -> completed
 *                                                                    | failed | incomplete
 *        any of the above -> cancelling -> cancelled  (on cancel)
 *        requires_action  -> expired                  (past expires_at)
 * ```
 *
 * Each run is one fiber. Timestamps are set at each step, run steps are recorded
 * (`message_creation`, and `tool_calls` with `function` calls), the assistant's messages carry
 * `assistant_id` and `run_id`, and `usage` is filled at the end. Every change is also published as
 * an {@link Event}, named and ordered as the API's stream events are, which streamed runs are
 * served from (see `Sse`):
 *
 * ```
 * thread.run.created, thread.run.queued, thread.run.in_progress,
 * for a reply:      thread.run.step.created, thread.run.step.in_progress (message_creation),
 *                   thread.message.created, thread.message.in_progress, thread.message.delta...,
 *                   thread.message.completed, thread.run.step.completed
 * for tool calls:   thread.run.step.created, thread.run.step.in_progress (tool_calls, no calls yet),
 *                   thread.run.step.delta... (each call's id and name, then its arguments in pieces,
 *                   as the model streams them, or cut afterwards),
 *                   thread.run.requires_action; once outputs arrive: thread.run.queued,
 *                   thread.run.step.completed (with the outputs), thread.run.in_progress, ...
 * the end:          thread.run.completed | incomplete | failed | cancelled | expired
 * ```
 *
 * @since 0.1.0
 */
import type { Message } from "effect-assistants/Message"
import { type Run, terminalStatuses } from "effect-assistants/Run"
import type { RunStep } from "effect-assistants/RunStep"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type ApiError, invalid } from "./ApiError.js"
import * as Ids from "./Ids.js"
import { type FunctionSpec, Model, type Output, streamPieces, type ToolCallPiece, type ToolOutput } from "./Model.js"
import { Store } from "./Store.js"

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

type Signal =
  | {
    readonly _tag: "Outputs"
    readonly outputs: ReadonlyArray<{ readonly toolCallId: string; readonly output: string }>
  }
  | { readonly _tag: "Cancel" }

/**
 * @since 0.1.0
 * @category tags
 */
export class RunEngine extends Context.Tag("effect-assistants/server/RunEngine")<RunEngine, {
  /** Starts driving a run just stored as `queued`. */
  readonly start: (run: Run) => Effect.Effect<void>
  /** Accepts tool outputs for a run in `requires_action`, all calls at once. */
  readonly submitToolOutputs: (
    run: Run,
    outputs: ReadonlyArray<{ readonly toolCallId: string; readonly output: string }>
  ) => Effect.Effect<Run, ApiError>
  /** Moves a live run to `cancelling`; the engine finishes it as `cancelled`. */
  readonly cancel: (run: Run) => Effect.Effect<Run, ApiError>
  /** Stops driving the runs of a deleted thread. */
  readonly forget: (runId: string) => Effect.Effect<void>
  /** Every change, as it happens, from when the stream starts. */
  readonly events: Stream.Stream<Event>
  /**
   * Every change from now on: the subscription is taken at once (before, say, the run this
   * subscriber wants to follow is started) and lasts as long as the scope.
   */
  readonly subscribe: Effect.Effect<Stream.Stream<Event>, never, Scope.Scope>
  readonly timings: Timings
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

const words = (s: string) => (s.trim() === "" ? 0 : s.trim().split(/\s+/).length)

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

const messageText = (m: Message) => m.content.map((p) => (p.type === "text" ? p.text.value : "")).join(" ")

/**
 * Builds the engine over a store and a model.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (timings: Timings = defaultTimings) =>
  Effect.gen(function*() {
    const store = yield* Store
    const model = yield* Model
    const fibers = yield* FiberMap.make<string>()
    const pubsub = yield* PubSub.unbounded<Event>()
    const signals = new Map<string, Queue.Queue<Signal>>()
    const queued = Duration.decode(timings.queued)
    const step = Duration.decode(timings.step)
    const cancelling = Duration.decode(timings.cancelling)
    const delta = Duration.decode(timings.delta ?? 0)
    const paced = Duration.greaterThan(delta, Duration.zero)

    const saveRun = (run: Run) =>
      Effect.zipRight(store.runs.put(run), PubSub.publish(pubsub, { event: `thread.run.${run.status}`, data: run }))
    const saveStep = (s: RunStep, event: string) =>
      Effect.zipRight(store.steps.put(s), PubSub.publish(pubsub, { event: `thread.run.step.${event}`, data: s }))
    const saveMessage = (m: Message, event: string) =>
      Effect.zipRight(store.messages.put(m), PubSub.publish(pubsub, { event: `thread.message.${event}`, data: m }))
    const publish = (event: Event) => PubSub.publish(pubsub, event)
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

    /** Ends the run as cancelled, or as expired, if that is due; `undefined` to go on. */
    /** Whether the run is to end as cancelled or expired now; `undefined` to go on. */
    const due = (run: Run) =>
      Effect.gen(function*() {
        const latest = yield* current(run)
        const now = yield* seconds
        if (latest.status === "cancelling") return { run: latest, status: "cancelled" as const }
        if (latest.expiresAt !== null && now >= latest.expiresAt) return { run: latest, status: "expired" as const }
        return undefined
      })

    const end = (ending: { readonly run: Run; readonly status: "cancelled" | "expired" }) =>
      ending.status === "cancelled"
        ? Effect.zipRight(
          Effect.sleep(cancelling),
          Effect.flatMap(seconds, (now) => finish(ending.run, "cancelled", { cancelledAt: now }))
        )
        : finish(ending.run, "expired", {})

    /** Ends the run as cancelled, or as expired, if that is due; `undefined` to go on. */
    const interruption = (run: Run) =>
      Effect.flatMap(due(run), (ending) => (ending === undefined ? Effect.succeed(undefined) : end(ending)))

    const finish = (run: Run, status: Run["status"], patch: Partial<Run>) =>
      Effect.gen(function*() {
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
        const done: Run = { ...run, status, requiredAction: null, ...patch }
        yield* saveRun(done)
        return done
      })

    const drive = (initial: Run, queue: Queue.Queue<Signal>) =>
      Effect.gen(function*() {
        let run = initial
        let round = 0
        const outputs: Array<ToolOutput> = []
        let promptTokens = 0
        let completionTokens = 0
        while (true) {
          yield* Effect.sleep(queued)
          if (yield* interruption(run)) return
          run = yield* current(run)
          run = { ...run, status: "in_progress", startedAt: run.startedAt ?? (yield* seconds) }
          yield* saveRun(run)
          yield* Effect.sleep(step)
          if (yield* interruption(run)) return
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
              if (piece === "") return
              if (streamed === undefined) streamed = yield* openMessage
              streamedText += piece
              yield* publish({
                event: "thread.message.delta",
                data: {
                  id: streamed.message.id,
                  object: "thread.message.delta",
                  delta: { content: [{ index: 0, type: "text", text: { value: piece } }] }
                }
              })
            })
          const usage = () => ({ promptTokens, completionTokens, totalTokens: promptTokens + completionTokens })
          // text before tool calls is a message of its own, complete once the calls begin
          let streamedDone: RunStep | undefined
          const completeStreamed = Effect.gen(function*() {
            if (streamed === undefined || streamedDone !== undefined) return
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
            })
          const endStreamed = (reason: "run_cancelled" | "run_expired" | "run_failed" | "max_tokens") =>
            Effect.gen(function*() {
              if (streamed === undefined || streamedDone !== undefined) return
              const now = yield* seconds
              yield* saveMessage({
                ...streamed.message,
                status: "incomplete",
                incompleteAt: now,
                incompleteDetails: { reason },
                content: streamedText === "" ? [] : [{ type: "text", text: { value: streamedText, annotations: [] } }]
              }, "incomplete")
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
                // the model's callbacks cannot fail: a store failure while publishing a piece ends
                // the turn as a defect, as any store failure ends the run's fiber
                onText: (piece) => Effect.orDie(onText(piece)),
                onToolCall: (piece) => Effect.orDie(onToolCall(piece))
              }),
              Option.some
            ),
            Effect.as(Queue.take(queue), Option.none<Output>())
          )
          if (Option.isNone(answered)) {
            const ending = (yield* due(run)) ?? { run: yield* current(run), status: "cancelled" as const }
            yield* endStreamed(ending.status === "cancelled" ? "run_cancelled" : "run_expired")
            yield* end(ending)
            return
          }
          let output = answered.value
          promptTokens += output.usage?.promptTokens ?? estimatedPrompt
          if (output.usage !== undefined) completionTokens += output.usage.completionTokens
          const counted = output.usage !== undefined
          // the upstream's own counts are held to the run's prompt budget, summed over its turns
          if (counted && run.maxPromptTokens !== null && promptTokens > run.maxPromptTokens) {
            output = { _tag: "Incomplete", reason: "max_prompt_tokens" }
          }
          if (streamed !== undefined && output._tag !== "Reply") {
            if (output._tag === "ToolCalls") {
              if (streamedDone === undefined) yield* completeStreamed
              // completed as the calls began, before this turn's counts were known
              else yield* store.steps.put({ ...streamedDone, usage: usage() })
            } else {
              yield* endStreamed(output._tag === "Fail" ? "run_failed" : "max_tokens")
            }
          }
          switch (output._tag) {
            case "Fail": {
              yield* finish(run, "failed", {
                failedAt: yield* seconds,
                lastError: { code: output.code, message: output.message },
                usage: usage()
              })
              return
            }
            case "Incomplete": {
              yield* finish(run, "incomplete", { incompleteDetails: { reason: output.reason }, usage: usage() })
              return
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
              if (yield* interruption(run)) return
              run = {
                ...(yield* current(run)),
                status: "requires_action",
                requiredAction: { type: "submit_tool_outputs", submitToolOutputs: { toolCalls: calls } }
              }
              yield* saveRun(run)
              const now = yield* Clock.currentTimeMillis
              const wait = run.expiresAt === null
                ? Duration.infinity
                : Duration.millis(Math.max(0, run.expiresAt * 1000 - now))
              const signal = yield* Effect.timeout(Queue.take(queue), wait).pipe(Effect.option)
              if (Option.isNone(signal)) {
                yield* finish(yield* current(run), "expired", {})
                return
              }
              if (signal.value._tag === "Cancel") {
                if (yield* interruption(run)) return
                continue
              }
              const byId = new Map(signal.value.outputs.map((o) => [o.toolCallId, o.output]))
              const now2 = yield* seconds
              yield* saveStep({
                ...toolStep,
                status: "completed",
                completedAt: now2,
                usage: usage(),
                stepDetails: {
                  type: "tool_calls",
                  toolCalls: calls.map((c) => ({ ...c, function: { ...c.function, output: byId.get(c.id) ?? "" } }))
                }
              }, "completed")
              for (const c of calls) {
                outputs.push({
                  name: c.function.name,
                  arguments: c.function.arguments,
                  output: byId.get(c.id) ?? "",
                  callId: c.id,
                  round
                })
              }
              round++
              continue
            }
            case "Reply": {
              if (streamed !== undefined) {
                if (!counted) completionTokens += words(output.text)
                const now = yield* seconds
                yield* saveMessage({
                  ...streamed.message,
                  status: "completed",
                  completedAt: now,
                  content: [{ type: "text", text: { value: output.text, annotations: [] } }]
                }, "completed")
                yield* saveStep(
                  { ...streamed.step, status: "completed", completedAt: now, usage: usage() },
                  "completed"
                )
                yield* finish(yield* current(run), "completed", { completedAt: now, usage: usage() })
                return
              }
              const { message, step: messageStep } = yield* openMessage
              yield* Effect.sleep(step)
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
                return
              }
              if (!counted) completionTokens += words(output.text)
              const now = yield* seconds
              yield* saveMessage({
                ...message,
                status: "completed",
                completedAt: now,
                content: [{ type: "text", text: { value: output.text, annotations: [] } }]
              }, "completed")
              yield* saveStep({ ...messageStep, status: "completed", completedAt: now, usage: usage() }, "completed")
              yield* finish(yield* current(run), "completed", { completedAt: now, usage: usage() })
              return
            }
          }
        }
      })

    const isLive = (run: Run) => !terminalStatuses.has(run.status) && run.status !== "cancelling"

    return RunEngine.of({
      timings,
      events: Stream.fromPubSub(pubsub),
      subscribe: Stream.fromPubSub(pubsub, { scoped: true }),
      start: (run) =>
        Effect.gen(function*() {
          yield* PubSub.publish(pubsub, { event: "thread.run.created", data: run })
          yield* PubSub.publish(pubsub, { event: "thread.run.queued", data: run })
          const queue = yield* Queue.unbounded<Signal>()
          signals.set(run.id, queue)
          yield* FiberMap.run(
            fibers,
            run.id,
            drive(run, queue).pipe(Effect.ensuring(Effect.sync(() => signals.delete(run.id))))
          )
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
          const queue = signals.get(run.id)
          const next: Run = { ...run, status: "queued", requiredAction: null }
          yield* saveRun(next)
          if (queue) yield* Queue.offer(queue, { _tag: "Outputs", outputs })
          return next
        }),
      cancel: (run) =>
        Effect.gen(function*() {
          if (!isLive(run)) {
            return yield* Effect.fail(invalid(`Cannot cancel run with status '${run.status}'.`, null))
          }
          const next: Run = { ...run, status: "cancelling" }
          yield* saveRun(next)
          const queue = signals.get(run.id)
          if (queue) yield* Queue.offer(queue, { _tag: "Cancel" })
          return next
        }),
      forget: (runId) => FiberMap.remove(fibers, runId)
    })
  })

/**
 * The engine over `Store` and `Model`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (timings: Partial<Timings> = {}): Layer.Layer<RunEngine, never, Store | Model> =>
  Layer.scoped(RunEngine, make({ ...defaultTimings, ...timings }))
