/**
 * Streamed runs (`stream: true` on createRun, createThreadAndRun and submitToolOutputs): the run
 * engine's events for one run as server-sent events, in the order the API sends them, ending with
 * `event: done` / `data: [DONE]` once the run is terminal or requires action.
 *
 * - Each event's `data` is the object encoded with the same schemas the JSON routes use; the delta
 *   events carry `{ id, object, delta }` only.
 * - A model failure is a run that ends `failed`: `thread.run.failed`, then `done`, as the API does.
 *   `event: error` is sent only when the server itself fails mid-stream.
 * - A client that goes away ends the response, not the run: the run is driven by the engine, not
 *   by the request.
 *
 * @since 0.1.0
 */
import * as Sse from "@effect/experimental/Sse"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Decoder from "effect-assistants/Decoder"
import { Message } from "effect-assistants/Message"
import { Run, terminalStatuses } from "effect-assistants/Run"
import { RunStep } from "effect-assistants/RunStep"
import { Thread } from "effect-assistants/Thread"
import * as Cause from "effect/Cause"
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { Event } from "./RunEngine.js"
import { RunEngine } from "./RunEngine.js"

/**
 * The `stream` parameter, added to a run-creating body's schema: `true` streams, `false` and
 * `null` (what the official SDKs' polling helpers send) do not; any other value is a 400 naming
 * `stream`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const withStream = <S extends Schema.Struct.Fields>(
  schema: { readonly fields: S }
) => Schema.Struct({ ...schema.fields, stream: Schema.optional(Schema.NullOr(Schema.Boolean)) })

const encodeRun = Decoder.encodeSync(Run)
const encodeStep = Decoder.encodeSync(RunStep)
const encodeMessage = Decoder.encodeSync(Message)
const encodeThread = Decoder.encodeSync(Thread)

const write = (event: string, data: unknown): string =>
  Sse.encoder.write({ _tag: "Event", event, id: undefined, data: JSON.stringify(data) })

/**
 * The wire data of one engine event.
 *
 * @since 0.1.0
 * @category encoding
 */
export const wireData = (event: Event): unknown => {
  const data = event.data
  switch (data.object) {
    case "thread.run":
      return encodeRun(data)
    case "thread.run.step":
      return encodeStep(data)
    case "thread.message":
      return encodeMessage(data)
    case "thread.message.delta":
      return data
    case "thread.run.step.delta":
      return {
        id: data.id,
        object: data.object,
        delta: {
          step_details: { type: data.delta.stepDetails.type, tool_calls: data.delta.stepDetails.toolCalls }
        }
      }
  }
}

/**
 * One engine event as a server-sent event.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeEvent = (event: Event): string => write(event.event, wireData(event))

/**
 * `thread.created`, the first event of a streamed createThreadAndRun.
 *
 * @since 0.1.0
 * @category encoding
 */
export const threadCreated = (thread: Thread): string => write("thread.created", encodeThread(thread))

/**
 * The last event of every stream.
 *
 * @since 0.1.0
 * @category encoding
 */
export const done: string = Sse.encoder.write({ _tag: "Event", event: "done", id: undefined, data: "[DONE]" })

/**
 * The event a stream ends with when the server fails mid-stream: a bare error object.
 *
 * @since 0.1.0
 * @category encoding
 */
export const serverError: string = write("error", {
  message: "The server had an error while processing your request.",
  type: "server_error",
  param: null,
  code: null
})

/** Whether an event closes a run's stream: the run is terminal, or waits for tool outputs. */
const closes = (event: Event) =>
  event.data.object === "thread.run" &&
  (terminalStatuses.has(event.data.status) || event.data.status === "requires_action")

/**
 * Whether each event is one of run `runId`'s, for a subscription taken before the run was started
 * (or signalled).
 */
const ofRun = (runId: string) => {
  // deltas name their message or step, not the run: the ids this run announced
  const mine = new Set<string>()
  return (event: Event): boolean => {
    const data = event.data
    switch (data.object) {
      case "thread.run":
        return data.id === runId
      case "thread.run.step":
      case "thread.message":
        if (data.runId !== runId) return false
        mine.add(data.id)
        return true
      default:
        return mine.has(data.id)
    }
  }
}

const textEncoder = new TextEncoder()
const bytes = (text: string) => Chunk.of(textEncoder.encode(text))

/** A response body: the bus's events in, the bytes to write out. */
type Body = Channel.Channel<Chunk.Chunk<Uint8Array>, Chunk.Chunk<Event>, never, never, unknown, unknown>

/**
 * What `respond` answers with, from the bus's events: `prefix`, the run's events (`ofRun`) up to
 * and including the one that closes its stream, then `done`; or, when the events fail or one
 * cannot be encoded, the events written so far and `error` in place of the rest (the failure is
 * logged). One channel does it all, so that each batch of events is filtered, encoded and written
 * in one pass: an operator per step (filter, take, map, concat, catch, join, encode) costs each
 * event several steps of the fiber per operator.
 */
const responseBody = (runId: string, prefix: string): Body => {
  const selected = ofRun(runId)
  // `text` written, then `next` (no write for no text): one write per batch of events, not per event
  const after = (text: string, next: Body): Body =>
    text === "" ? next : Channel.zipRight(Channel.write(bytes(text)), next)
  const failed = (cause: Cause.Cause<unknown>) =>
    Channel.zipRight(
      Channel.fromEffect(Effect.logError("a run's event stream failed", cause)),
      Channel.write(bytes(serverError))
    )
  const loop: Body = Channel.readWithCause({
    onInput: (events: Chunk.Chunk<Event>) => {
      let text = ""
      try {
        for (const event of events) {
          if (!selected(event)) continue
          text += encodeEvent(event)
          if (closes(event)) return Channel.write(bytes(text + done))
        }
      } catch (defect) {
        return after(text, failed(Cause.die(defect)))
      }
      return after(text, loop)
    },
    onFailure: (cause) => Cause.isInterruptedOnly(cause) ? Channel.failCause(cause) : failed(cause),
    onDone: () => Channel.write(bytes(done))
  })
  return after(prefix, loop)
}

/**
 * Follows a run over server-sent events: subscribes to the engine, runs `start` (which creates or
 * signals the run and returns it, plus any events to send first), and answers `text/event-stream`
 * with the run's events and `done`. The subscription lives in the request's scope, which the
 * platform keeps open while the body streams; `start`'s failures (a 404, a 400) are answered as
 * JSON errors, before any event.
 *
 * @since 0.1.0
 * @category streaming
 */
export const respond = <E, R>(
  start: Effect.Effect<{ readonly run: Run; readonly prefix?: ReadonlyArray<string> }, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | RunEngine | Scope.Scope> =>
  Effect.gen(function*() {
    const engine = yield* RunEngine
    const events = yield* engine.subscribe
    const { prefix, run } = yield* start
    return HttpServerResponse.stream(Stream.pipeThroughChannel(events, responseBody(run.id, (prefix ?? []).join(""))), {
      contentType: "text/event-stream",
      headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
    })
  })
