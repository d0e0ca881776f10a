/**
 * Streamed runs: the server-sent events of `stream: true` decoded into a `Stream` of typed
 * events, and folded into the run, thread, messages and steps they describe.
 *
 * ```
 * Runs.createStream(params)         Stream<AssistantStreamEvent, AssistantsError, AssistantsClient>
 *   |> AssistantStream.text         Stream<string>: the assistant's text as it is written
 *   |> AssistantStream.snapshots    Stream<Snapshot>: everything so far, after each event
 *   |> AssistantStream.accumulate   Effect<Snapshot>: everything, once the stream ends
 * ```
 *
 * Decoding (see {@link decodeEvents}): events may be split across any chunk boundary, inside a
 * multi-byte character too; CRLF line endings and comment lines are handled; an event name this
 * version does not know becomes an `UnknownEvent`; `error` fails the stream with `StreamError`;
 * `done` ends it and is not emitted. A body that ends without `done` (the connection broke) fails
 * with `ConnectionError`, `outcome: "unknown"`, and the run's id once the stream has announced it,
 * so the caller can follow the run by polling.
 *
 * The calls (`createStream`, `submitToolOutputsStream`, `createThreadAndRunStream`) and the tool
 * loop over one stream (`runToolsStream`, `createAndRunToolsStream`) are module functions over
 * `AssistantsClient`'s raw-response primitive, re-exported from `Runs` and `Threads`: a program
 * that never streams does not carry the parser or the event schemas.
 *
 * @since 0.1.0
 */
import * as Sse from "@effect/experimental/Sse"
import * as Cause from "effect/Cause"
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import {
  type AssistantsError,
  ConnectionError,
  firstIssue,
  InvalidRequestError,
  ResponseDecodeError,
  StreamError,
  TimeoutError,
  ToolRoundsExceededError
} from "../errors/AssistantsError.js"
import { AssistantsClient, type Call } from "../layers/AssistantsClient.js"
import type { Include } from "../schema/Common.js"
import type { UnknownMember } from "../schema/Common.js"
import * as Decoder from "../schema/Decoder.js"
import type { Annotation, ContentPart, Message } from "../schema/Message.js"
import { CreateRunParams, Run, type RunToolCall, SubmitToolOutputsParams } from "../schema/Run.js"
import type { StepToolCall } from "../schema/RunStep.js"
import type { RunStep } from "../schema/RunStep.js"
import {
  type AnnotationDelta,
  type AssistantStreamEvent,
  type CodeOutputDelta,
  type ContentDelta,
  dataSchema,
  ErrorData,
  type MessageDelta,
  type RunEventName,
  runEventNames,
  type RunStepDelta,
  type ToolCallDelta
} from "../schema/StreamEvent.js"
import { CreateThreadAndRunParams, type Thread } from "../schema/Thread.js"
import { bodyEncoder, decoder, prepare, type Spec } from "./internal/operation.js"
import { checkToolOutputs, unknownFunction } from "./internal/toolOutput.js"
import {
  type PollOptions,
  type RunIds,
  type RunOperations,
  type ToolContext,
  type ToolError,
  type ToolLoopOptions,
  watch
} from "./RunPolling.js"
import type * as Tool from "./Tool.js"

export type {
  /**
   * @since 0.1.0
   * @category models
   */
  AssistantStreamEvent
} from "../schema/StreamEvent.js"

// ---------------------------------------------------------------------------------------------
// decoding

/**
 * Where a stream's bytes come from, for the errors it fails with.
 *
 * @since 0.1.0
 * @category models
 */
export interface Origin {
  readonly method: string
  readonly path: string
  /** The response's status (a stream's bytes only come with a 2xx). */
  readonly status: number
  readonly requestId?: string | undefined
  /** The run's id when the caller knows it already (a submit, the tool loop). */
  readonly runId?: string | undefined
}

type DataDecoder = (u: unknown) => Either.Either<unknown, ParseResult.ParseError>

// one decoder per data schema, built on first use
const decoders = new Map<string, DataDecoder>()
const decoderOf = (event: string): { readonly decode: DataDecoder; readonly name: string } | undefined => {
  const entry = dataSchema(event)
  if (entry === undefined) return undefined
  let decode = decoders.get(entry.name)
  if (decode === undefined) {
    // the package's compiled decoder where it vouches for the input, else the standard one (which
    // also says what is wrong): the same results as `Schema.decodeUnknownEither` alone
    const fast = Decoder.compile(entry.schema.ast)
    const standard = Schema.decodeUnknownEither(entry.schema) as DataDecoder
    decode = (u) => {
      const out = fast(u)
      return out === Decoder.DECLINE ? standard(u) : Either.right(out)
    }
    decoders.set(entry.name, decode)
  }
  return { decode, name: entry.name }
}

// made on the first `error` event: a parser made at import would build `ErrorData` there, which
// every program importing the client would pay for
let decodeErrorData: ((u: unknown) => Either.Either<typeof ErrorData.Type, ParseResult.ParseError>) | undefined

/**
 * The state of one stream's decoding: the text decoder (which keeps a multi-byte character split
 * across chunks), the SSE parser, and what the events said so far.
 */
class Decoding {
  readonly text = new TextDecoder()
  readonly parser: Sse.Parser
  /** The events parsed from the current chunk. */
  parsed: Array<Sse.Event> = []
  /** A `\r` that ended the last chunk: held back, as the parser would take a `\n` after it for an empty line. */
  heldCR = false
  done = false
  runId: string | undefined
  constructor(readonly origin: Origin) {
    this.runId = origin.runId
    this.parser = Sse.makeParser((event) => {
      if (event._tag === "Event") this.parsed.push(event)
    })
  }

  /** Feeds text; fails with what an event said (`error`) or what was wrong with it. */
  feed(text: string, out: Array<AssistantStreamEvent>): AssistantsError | undefined {
    if (this.heldCR) {
      text = "\r" + text
      this.heldCR = false
    }
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 13) {
      text = text.slice(0, -1)
      this.heldCR = true
    }
    // The parser rescans its whole buffer from the start for every line it reads, so a chunk of
    // many events costs the square of its length: it is handed one line at a time.
    let tooLarge: Sse.SseError | undefined
    let from = 0
    for (let eol = text.indexOf("\n"); eol >= 0 && tooLarge === undefined; eol = text.indexOf("\n", from)) {
      tooLarge = this.parser.feed(text.slice(from, eol + 1))
      from = eol + 1
    }
    if (from < text.length && tooLarge === undefined) tooLarge = this.parser.feed(text.slice(from))
    const parsed = this.parsed
    this.parsed = []
    for (let i = 0; i < parsed.length && !this.done; i++) {
      const failure = this.event(parsed[i], out)
      if (failure !== undefined) return failure
    }
    if (tooLarge !== undefined) return this.invalid("event", tooLarge.message)
    return undefined
  }

  event(raw: Sse.Event, out: Array<AssistantStreamEvent>): AssistantsError | undefined {
    const name = raw.event
    if (name === "done") {
      this.done = true
      return undefined
    }
    let json: unknown
    try {
      json = JSON.parse(raw.data)
    } catch (e) {
      if (name === "error") return this.streamError({ message: raw.data })
      const known = decoderOf(name)
      if (known === undefined) {
        // an event this version does not know may carry anything: its text is kept
        out.push({ event: "unknown", name, data: raw.data })
        return undefined
      }
      return this.invalid(name, (e as Error).message)
    }
    if (name === "error") {
      const data = (decodeErrorData ??= Schema.decodeUnknownEither(ErrorData))(json)
      return this.streamError(Either.isRight(data) ? data.right : {})
    }
    const known = decoderOf(name)
    if (known === undefined) {
      out.push({ event: "unknown", name, data: json })
      return undefined
    }
    const decoded = known.decode(json)
    if (Either.isLeft(decoded)) return this.mismatch(name, known.name, decoded.left)
    const data = decoded.right as { readonly object: string; readonly id: string }
    if (data.object === "thread.run") this.runId = data.id
    out.push({ event: name, data } as AssistantStreamEvent)
    return undefined
  }

  streamError(data: {
    readonly message?: string | undefined
    readonly type?: string | undefined
    readonly code?: string | null | undefined
    readonly param?: string | null | undefined
  }): StreamError {
    return new StreamError({
      message: data.message ?? "the server failed while streaming the run",
      ...(data.code != null ? { code: data.code } : {}),
      ...(data.type !== undefined ? { type: data.type } : {}),
      ...(data.param != null ? { param: data.param } : {}),
      outcome: "unknown",
      ...(this.runId !== undefined ? { runId: this.runId } : {})
    })
  }

  invalid(event: string, message: string): ResponseDecodeError {
    return new ResponseDecodeError({
      status: this.origin.status,
      requestId: this.origin.requestId,
      method: this.origin.method,
      path: this.origin.path,
      reason: "invalid-json",
      schema: event,
      at: "data",
      message: `the data of a ${event} event is not JSON: ${message}`,
      outcome: "unknown"
    })
  }

  mismatch(event: string, schema: string, error: ParseResult.ParseError): ResponseDecodeError {
    const issue = firstIssue(error)
    const at = issue.path === undefined ? "data" : `data.${issue.path}`
    return new ResponseDecodeError({
      status: this.origin.status,
      requestId: this.origin.requestId,
      method: this.origin.method,
      path: this.origin.path,
      reason: "schema-mismatch",
      schema,
      at,
      message: `${schema} (${event}) at ${at}: ${issue.message}`,
      outcome: "unknown"
    })
  }

  /** The error of a body that broke off, or ended without `done`. */
  broken(message: string): ConnectionError {
    return new ConnectionError({
      method: this.origin.method,
      path: this.origin.path,
      message: this.runId === undefined
        ? message
        : `${message}; run ${this.runId} goes on without the stream: poll it to follow it`,
      outcome: "unknown",
      ...(this.runId !== undefined ? { runId: this.runId } : {})
    })
  }
}

const describeCause = (cause: unknown): string => {
  const parts: Array<string> = []
  for (let c: any = cause, depth = 0; c != null && depth < 4; c = c.cause, depth++) {
    if (typeof c === "object" && typeof c.message === "string" && c.message !== "") parts.push(c.message)
    if (typeof c === "object" && typeof c.code === "string") parts.push(c.code)
  }
  return parts.length > 0 ? parts.join(": ") : "transport failure"
}

/** A channel that emits decoded events. */
type Events<InElem, InErr> = Channel.Channel<
  Chunk.Chunk<AssistantStreamEvent>,
  InElem,
  AssistantsError,
  InErr,
  void,
  unknown
>

const emit = <InElem, InErr>(
  out: Array<AssistantStreamEvent>,
  next: Events<InElem, InErr>
): Events<
  InElem,
  InErr
> => (out.length === 0 ? next : Channel.zipRight(Channel.write(Chunk.unsafeFromArray(out)), next))

/** The events of one chunk of the body, then `next`, unless the chunk held `done` or a failure. */
const chunkOf = <InElem, InErr>(
  state: Decoding,
  input: Chunk.Chunk<Uint8Array>,
  next: Events<InElem, InErr>
): Events<InElem, InErr> => {
  const out: Array<AssistantStreamEvent> = []
  for (const bytes of input) {
    const failure = state.feed(state.text.decode(bytes, { stream: true }), out)
    if (failure !== undefined) return emit(out, Channel.fail(failure))
    if (state.done) return emit(out, Channel.void)
  }
  return emit(out, next)
}

/** The end of the body: it ends a last line; a last event without its blank line is incomplete. */
const endOf = <InElem, InErr>(state: Decoding): Events<InElem, InErr> => {
  const out: Array<AssistantStreamEvent> = []
  const failure = state.feed(state.text.decode() + (state.heldCR ? "\n" : ""), out)
  if (failure !== undefined) return emit(out, Channel.fail(failure))
  return emit(
    out,
    state.done ? Channel.void : Channel.fail(state.broken("the stream ended before the server said it was done"))
  )
}

/** A failure of the body: an interruption goes on as it is, anything else broke the stream off. */
const brokenOf = <InElem, InErr>(state: Decoding, cause: Cause.Cause<unknown>): Events<InElem, InErr> =>
  Cause.isInterruptedOnly(cause)
    ? Channel.failCause(cause as Cause.Cause<never>)
    : Channel.fail(state.broken(`the stream broke off: ${describeCause(Cause.squash(cause))}`))

/**
 * Decodes the bytes of a `text/event-stream` body into events. A failure of `bytes` (the
 * connection broke) and a body that ends without `done` fail with `ConnectionError`
 * (`outcome: "unknown"`, with `runId` once known); `error` fails with `StreamError`; a known event
 * whose data does not decode fails with `ResponseDecodeError`. Reading stops at `done`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeEvents = <E>(
  bytes: Stream.Stream<Uint8Array, E>,
  origin: Origin
): Stream.Stream<AssistantStreamEvent, AssistantsError> =>
  Stream.suspend(() => {
    const state = new Decoding(origin)
    const loop: Events<Chunk.Chunk<Uint8Array>, E> = Channel.readWithCause({
      onInput: (input: Chunk.Chunk<Uint8Array>) => chunkOf(state, input, loop),
      onFailure: (cause: Cause.Cause<E>) => brokenOf(state, cause),
      onDone: () => endOf(state)
    })
    return Stream.pipeThroughChannel(bytes, loop)
  })

/**
 * The events of the chunks `pull` reads (as {@link decodeEvents} decodes them), in the channel
 * that reads them: no channel of its own to pipe through, so that ending after `done` unwinds
 * as little as it can.
 */
const pullEvents = <E>(
  pull: Effect.Effect<Either.Either<Chunk.Chunk<Uint8Array>, unknown>, E>,
  state: Decoding
): Events<unknown, unknown> => {
  const loop: Events<unknown, unknown> = Channel.unwrap(Effect.matchCause(pull, {
    onSuccess: (input) => Either.isRight(input) ? chunkOf(state, input.right, loop) : endOf(state),
    onFailure: (cause) => brokenOf(state, cause)
  }))
  return loop
}

// ---------------------------------------------------------------------------------------------
// folding

/**
 * Everything a stream said so far: the run and the thread as last sent, the messages and run
 * steps in creation order, deltas merged in.
 *
 * @since 0.1.0
 * @category models
 */
export interface Snapshot {
  readonly run: Option.Option<Run>
  readonly thread: Option.Option<Thread>
  readonly messages: ReadonlyArray<Message>
  readonly steps: ReadonlyArray<RunStep>
}

/**
 * The snapshot before any event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty: Snapshot = { run: Option.none(), thread: Option.none(), messages: [], steps: [] }

/** Replaces the item with `item`'s id, or appends it if it was never announced. */
const upsert = <A extends { readonly id: string }>(items: ReadonlyArray<A>, item: A): ReadonlyArray<A> => {
  const i = items.findIndex((x) => x.id === item.id)
  if (i < 0) return [...items, item]
  const next = items.slice()
  next[i] = item
  return next
}

/** Applies `f` to the item with id `id`; the items unchanged when there is none. */
const update = <A extends { readonly id: string }>(
  items: ReadonlyArray<A>,
  id: string,
  f: (a: A) => A
): ReadonlyArray<A> => {
  const i = items.findIndex((x) => x.id === id)
  if (i < 0) return items
  const next = items.slice()
  next[i] = f(items[i])
  return next
}

/** The `index` an unknown delta member carries in its raw JSON, if any. */
const rawIndex = (member: UnknownMember): number | undefined => {
  const i = member.raw.index
  return typeof i === "number" && Number.isInteger(i) && i >= 0 ? i : undefined
}

const annotation = (d: Exclude<AnnotationDelta, UnknownMember>): Annotation =>
  d.type === "file_citation"
    ? {
      type: "file_citation",
      text: d.text ?? "",
      fileCitation: { fileId: d.fileCitation?.fileId ?? "" },
      startIndex: d.startIndex ?? 0,
      endIndex: d.endIndex ?? 0
    }
    : {
      type: "file_path",
      text: d.text ?? "",
      filePath: { fileId: d.filePath?.fileId ?? "" },
      startIndex: d.startIndex ?? 0,
      endIndex: d.endIndex ?? 0
    }

const part = (previous: ContentPart | undefined, d: Exclude<ContentDelta, UnknownMember>): ContentPart => {
  switch (d.type) {
    case "text": {
      const before = previous?.type === "text" ? previous.text : undefined
      const added = d.text?.annotations
      return {
        type: "text",
        text: {
          value: (before?.value ?? "") + (d.text?.value ?? ""),
          annotations: added === undefined || added.length === 0
            ? before?.annotations ?? []
            : [...(before?.annotations ?? []), ...added.map((a) => (a.type === "unknown" ? a : annotation(a)))]
        }
      }
    }
    case "image_file": {
      const before = previous?.type === "image_file" ? previous.imageFile : undefined
      const detail = d.imageFile?.detail ?? before?.detail
      return {
        type: "image_file",
        imageFile: { fileId: d.imageFile?.fileId ?? before?.fileId ?? "", ...(detail !== undefined ? { detail } : {}) }
      }
    }
    case "image_url": {
      const before = previous?.type === "image_url" ? previous.imageUrl : undefined
      const detail = d.imageUrl?.detail ?? before?.detail
      return {
        type: "image_url",
        imageUrl: { url: d.imageUrl?.url ?? before?.url ?? "", ...(detail !== undefined ? { detail } : {}) }
      }
    }
    case "refusal":
      return { type: "refusal", refusal: (previous?.type === "refusal" ? previous.refusal : "") + (d.refusal ?? "") }
  }
}

const mergeMessage = (message: Message, delta: MessageDelta["delta"]): Message => {
  const content = delta.content
  if (content === undefined || content.length === 0) {
    return delta.role === undefined ? message : { ...message, role: delta.role }
  }
  const parts = message.content.slice()
  for (const d of content) {
    if (d.type === "unknown") {
      const i = rawIndex(d)
      if (i !== undefined) parts[i] = d
    } else {
      parts[d.index] = part(parts[d.index], d)
    }
  }
  return { ...message, ...(delta.role !== undefined ? { role: delta.role } : {}), content: parts }
}

const codeOutput = (d: CodeOutputDelta) =>
  d.type === "logs"
    ? { type: "logs" as const, logs: d.logs ?? "" }
    : d.type === "image"
    ? { type: "image" as const, image: { fileId: d.image?.fileId ?? "" } }
    : d

const toolCall = (previous: StepToolCall | undefined, d: Exclude<ToolCallDelta, UnknownMember>): StepToolCall => {
  switch (d.type) {
    case "function": {
      const before = previous?.type === "function" ? previous : undefined
      const output = d.function?.output
      return {
        id: d.id ?? before?.id ?? "",
        type: "function",
        function: {
          name: before?.function.name || d.function?.name || "",
          arguments: (before?.function.arguments ?? "") + (d.function?.arguments ?? ""),
          output: output !== undefined ? output : before?.function.output ?? null
        }
      }
    }
    case "code_interpreter": {
      const before = previous?.type === "code_interpreter" ? previous : undefined
      const outputs = d.codeInterpreter?.outputs
      return {
        id: d.id ?? before?.id ?? "",
        type: "code_interpreter",
        codeInterpreter: {
          input: (before?.codeInterpreter.input ?? "") + (d.codeInterpreter?.input ?? ""),
          outputs: outputs === undefined || outputs.length === 0
            ? before?.codeInterpreter.outputs ?? []
            : [...(before?.codeInterpreter.outputs ?? []), ...outputs.map(codeOutput)]
        }
      }
    }
    case "file_search": {
      // a file search delta carries no more than "a map": the whole call arrives with the step
      const before = previous?.type === "file_search" ? previous : undefined
      return { id: d.id ?? before?.id ?? "", type: "file_search", fileSearch: before?.fileSearch ?? {} }
    }
  }
}

const mergeStep = (step: RunStep, delta: RunStepDelta["delta"]): RunStep => {
  const details = delta.stepDetails
  if (details === undefined) return step
  switch (details.type) {
    case "tool_calls": {
      const calls = step.stepDetails.type === "tool_calls" ? step.stepDetails.toolCalls.slice() : []
      for (const d of details.toolCalls ?? []) {
        if (d.type === "unknown") {
          const i = rawIndex(d)
          if (i !== undefined) calls[i] = d
        } else {
          calls[d.index] = toolCall(calls[d.index], d)
        }
      }
      return { ...step, stepDetails: { type: "tool_calls", toolCalls: calls } }
    }
    case "message_creation": {
      const before = step.stepDetails.type === "message_creation" ? step.stepDetails.messageCreation.messageId : ""
      return {
        ...step,
        stepDetails: {
          type: "message_creation",
          messageCreation: { messageId: details.messageCreation?.messageId ?? before }
        }
      }
    }
    default:
      return step
  }
}

/**
 * The snapshot after one more event:
 * - every `thread.run.*` event replaces the run (so an `incomplete` or `failed` run is there at
 *   the end, as any other);
 * - `thread.created` sets the thread;
 * - every whole message or run step replaces the one with its id, or is added (a submit stream
 *   may open with `thread.run.step.completed` for a step created earlier);
 * - text deltas are appended to `content[index]` (annotations appended); tool-call deltas are
 *   merged at `stepDetails.toolCalls[index]`: `function.arguments` appended, `output` set, a code
 *   interpreter's `input` appended and its `outputs` added. A delta for a message or step never
 *   announced is dropped (there is nothing to merge it into);
 * - unknown events change nothing.
 *
 * @since 0.1.0
 * @category folding
 */
export const apply: {
  (event: AssistantStreamEvent): (snapshot: Snapshot) => Snapshot
  (snapshot: Snapshot, event: AssistantStreamEvent): Snapshot
} = dual(2, (snapshot: Snapshot, event: AssistantStreamEvent): Snapshot => {
  switch (event.event) {
    case "thread.created":
      return { ...snapshot, thread: Option.some(event.data) }
    case "thread.message.delta":
      return {
        ...snapshot,
        messages: update(snapshot.messages, event.data.id, (m) => mergeMessage(m, event.data.delta))
      }
    case "thread.run.step.delta":
      return { ...snapshot, steps: update(snapshot.steps, event.data.id, (s) => mergeStep(s, event.data.delta)) }
    case "unknown":
      return snapshot
    default:
      switch (event.data.object) {
        case "thread.run":
          return { ...snapshot, run: Option.some(event.data) }
        case "thread.message":
          return { ...snapshot, messages: upsert(snapshot.messages, event.data) }
        case "thread.run.step":
          return { ...snapshot, steps: upsert(snapshot.steps, event.data) }
      }
  }
})

/**
 * Folds a whole stream into the last snapshot: the final run (whatever its status), the thread,
 * and every message and step with its deltas merged.
 *
 * The stream's resources are released before it returns, as with `Stream.runFold`, but for the
 * streams of this module's calls (`Runs.createStream`, ...) that ended at `done`: the server has
 * finished, so their request and the scope they were pulled in are released on the next turn of
 * the event loop, after the caller holds the final run.
 *
 * @example
 * ```ts
 * import { AssistantStream, Runs } from "effect-assistants"
 * import * as Effect from "effect/Effect"
 * import * as Option from "effect/Option"
 *
 * const program = Effect.gen(function*() {
 *   const final = yield* AssistantStream.accumulate(
 *     Runs.createStream({ threadId: "thread_abc", assistantId: "asst_abc" })
 *   )
 *   if (Option.isSome(final.run)) console.log(final.run.value.status)
 *   for (const message of final.messages) {
 *     for (const part of message.content) if (part.type === "text") console.log(part.text.value)
 *   }
 * })
 * ```
 *
 * @since 0.1.0
 * @category folding
 */
export const accumulate = <E, R>(events: Stream.Stream<AssistantStreamEvent, E, R>): Effect.Effect<Snapshot, E, R> =>
  // pulled in a loop rather than run with `Stream.runFold`: its sink and drain add steps to unwind
  // once the stream has ended, between the last event and the caller holding the final run
  Effect.acquireUseRelease(
    Scope.make(),
    (scope) =>
      Effect.flatMap(Scope.extend(Channel.toPull(Stream.toChannel(events)), scope), (pull) => {
        let snapshot = empty
        const loop: Effect.Effect<Snapshot, E, R> = Effect.flatMap(pull, (next) => {
          if (Either.isLeft(next)) return Effect.succeed(snapshot)
          for (const event of next.right) snapshot = apply(snapshot, event)
          return loop
        })
        return loop
      }),
    // closing the pull's scope costs the caller more than the last event's decoding (the
    // executor's close, under the runtime it was pulled with); a stream of `send` that ended has
    // let go of what it holds already, so nothing the caller could observe waits in that scope
    (scope, exit) =>
      Exit.isSuccess(exit) && selfReleasing.has(events) ? later(Scope.close(scope, exit)) : Scope.close(scope, exit)
  )

/**
 * The snapshot after each event.
 *
 * @since 0.1.0
 * @category folding
 */
export const snapshots = <E, R>(events: Stream.Stream<AssistantStreamEvent, E, R>): Stream.Stream<Snapshot, E, R> =>
  Stream.mapAccum(events, empty, (snapshot, event) => {
    const next = apply(snapshot, event)
    return [next, next]
  })

/**
 * The assistant's text as it is written: the text of each message delta, in order.
 *
 * @since 0.1.0
 * @category folding
 */
export const text = <E, R>(events: Stream.Stream<AssistantStreamEvent, E, R>): Stream.Stream<string, E, R> =>
  Stream.filterMap(events, (event) => {
    if (event.event !== "thread.message.delta") return Option.none()
    const content = event.data.delta.content
    if (content === undefined) return Option.none()
    let out = ""
    for (const d of content) if (d.type === "text" && d.text?.value !== undefined) out += d.text.value
    return out === "" ? Option.none() : Option.some(out)
  })

// ---------------------------------------------------------------------------------------------
// the calls

/**
 * `Runs.createStream`'s parameters: those of `Runs.create`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateStreamParams extends CreateRunParams {
  readonly threadId: string
  /** Extra fields in the run's steps; the only value is file search result contents. */
  readonly include?: Include
}

/**
 * `Runs.submitToolOutputsStream`'s parameters: those of `Runs.submitToolOutputs`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SubmitStreamParams extends SubmitToolOutputsParams {
  readonly threadId: string
  readonly runId: string
  /**
   * The run as last read. When given, the outputs are checked against its `requires_action`
   * before sending: every call answered once, no call it did not ask for.
   */
  readonly run?: Run | undefined
}

const never = { decode: () => Effect.dieMessage("a streamed call has no JSON body"), schema: "event-stream" }

/** A body encoder that adds `stream: true` to what `encode` makes. */
const streaming = <P>(encode: (params: P) => InvalidRequestError | { readonly body: unknown }) => (params: P) => {
  const encoded = encode(params)
  return encoded instanceof InvalidRequestError
    ? encoded
    : { body: { ...(encoded.body as Record<string, unknown>), stream: true } }
}

const createSpec: Spec<CreateStreamParams, never> = {
  name: "Runs.createStream",
  method: "POST",
  ids: ["threadId", "assistantId"],
  path: (p) => `/threads/${p.threadId}/runs`,
  include: true,
  body: streaming(bodyEncoder(CreateRunParams)),
  create: true,
  response: never
}

const submitSpec: Spec<SubmitStreamParams, never> = {
  name: "Runs.submitToolOutputsStream",
  method: "POST",
  ids: ["threadId", "runId"],
  path: (p) => `/threads/${p.threadId}/runs/${p.runId}/submit_tool_outputs`,
  body: streaming(bodyEncoder(SubmitToolOutputsParams)),
  create: true,
  response: never
}

const createThreadAndRunSpec: Spec<CreateThreadAndRunParams, never> = {
  name: "Threads.createAndRunStream",
  method: "POST",
  ids: ["assistantId"],
  path: () => "/threads/runs",
  body: streaming(bodyEncoder(CreateThreadAndRunParams)),
  create: true,
  response: never
}

/**
 * Runs `effect` on the next turn of the event loop, after everything already queued, with the
 * caller's services. Its fiber is made on that turn: forking one at once would cost the caller as
 * much again as the work it puts off.
 */
const later = (effect: Effect.Effect<void>): Effect.Effect<void> =>
  Effect.flatMap(Effect.runtime<never>(), (runtime) =>
    Effect.sync(() => {
      setTimeout(() => Runtime.runFork(runtime)(effect), 0)
    }))

/** The streams `send` made: when they end at `done`, they have let go of all they hold. */
const selfReleasing = new WeakSet<object>()

/**
 * Sends `call` and decodes its answer as it arrives; the request lives as long as the stream.
 *
 * The request (its abort, its span) and the body's reader each hold a scope of their own. When
 * the stream fails, is interrupted or is left before `done`, the request is aborted first and the
 * body's reader released after: some transports' bodies cannot let go of a read still waiting for
 * bytes (Node's readable iterator holds `return()` until its pending `next()` settles), so
 * releasing the reader first would hold the interruption, and the connection, until the server
 * wrote again.
 *
 * When the stream ends at `done`, the server has finished: the same two are released on the next
 * turn of the event loop, by a fiber of their own, so that the caller does not wait for them.
 * Aborting an AbortController builds a `DOMException` (with its stack) that the transport then
 * destroys the body with, and closing a reader unwinds its channel: together they cost the caller
 * more than every other step from the last bytes to the final run.
 */
const send = (
  call: InvalidRequestError | Call,
  runId?: string
): Stream.Stream<AssistantStreamEvent, AssistantsError, AssistantsClient> => {
  if (call instanceof InvalidRequestError) return Stream.fail(call)
  const stream = Stream.fromChannel(Channel.unwrap(Effect.map(
    Effect.zip(Scope.make(), Scope.make()),
    ([request, reader]) => {
      let state: Decoding | undefined
      const release = Effect.zipRight(Scope.close(request, Exit.void), Scope.close(reader, Exit.void))
      return Channel.ensuringWith(
        Channel.unwrap(Effect.gen(function*() {
          const client = yield* AssistantsClient
          const response = yield* Scope.extend(client.stream(call), request)
          // the channel's own pull: the body's end as a value, not as a failure to tell apart
          const pull = yield* Scope.extend(Channel.toPull(Stream.toChannel(response.stream)), reader)
          state = new Decoding({
            method: call.method,
            path: call.path,
            status: response.status,
            requestId: response.headers["x-request-id"],
            runId
          })
          return pullEvents(pull, state)
        })),
        (exit) => Exit.isSuccess(exit) && state?.done === true ? later(release) : release
      )
    }
  )))
  selfReleasing.add(stream)
  return stream
}

/**
 * Starts a run and streams its events until it is terminal or requires action (then `done`
 * ends the stream). Parameters and retries are those of `Runs.create`: not retried once the server
 * may have acted. Interrupting the stream aborts the request; the run goes on.
 *
 * @example
 * ```ts
 * import { AssistantStream, Runs } from "effect-assistants"
 * import * as Effect from "effect/Effect"
 * import * as Stream from "effect/Stream"
 *
 * // the assistant's answer printed as it is written
 * const program = Runs.createStream({ threadId: "thread_abc", assistantId: "asst_abc" }).pipe(
 *   AssistantStream.text,
 *   Stream.runForEach((text) => Effect.sync(() => process.stdout.write(text)))
 * )
 * ```
 *
 * @since 0.1.0
 * @category streaming
 */
export const createStream = (
  params: CreateStreamParams
): Stream.Stream<AssistantStreamEvent, AssistantsError, AssistantsClient> => send(prepare(createSpec, params))

/**
 * Submits tool outputs and streams the run's events from there, until it is terminal or requires
 * action again.
 *
 * @since 0.1.0
 * @category streaming
 */
export const submitToolOutputsStream = (
  params: SubmitStreamParams
): Stream.Stream<AssistantStreamEvent, AssistantsError, AssistantsClient> => {
  const problem = params.run === undefined ? undefined : checkToolOutputs(params, params.run, params.toolOutputs)
  return send(problem ?? prepare(submitSpec, params), params.runId)
}

/**
 * Creates a thread and a run in one call and streams the events (`thread.created` first).
 *
 * @since 0.1.0
 * @category streaming
 */
export const createThreadAndRunStream = (
  params: CreateThreadAndRunParams
): Stream.Stream<AssistantStreamEvent, AssistantsError, AssistantsClient> =>
  send(prepare(createThreadAndRunSpec, params))

// ---------------------------------------------------------------------------------------------
// the tool loop over one stream

/**
 * `Runs.runToolsStream`'s parameters: a run, the declared tools, and the options of
 * `Runs.runTools`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunToolsStreamParams<T extends Tool.Any> extends ToolLoopOptions<T> {
  readonly threadId: string
  readonly runId: string
}

/**
 * `Runs.createAndRunToolsStream`'s parameters: those of `Runs.createStream` with declared tools,
 * whose definitions are sent as the run's `tools` unless `sendDefinitions` is false.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateAndRunToolsStreamParams<T extends Tool.Any>
  extends Omit<CreateStreamParams, "tools">, ToolLoopOptions<T>
{
  readonly sendDefinitions?: boolean | undefined
}

/**
 * The errors of the tool loop over one stream.
 *
 * @since 0.1.0
 * @category models
 */
export type ToolStreamError<T> = AssistantsError | ToolRoundsExceededError | ToolError<T> | TimeoutError

const runOf = (event: AssistantStreamEvent): Run | undefined =>
  event.event !== "unknown" && event.data.object === "thread.run" ? event.data as Run : undefined

const decodeRun = decoder(Run, "Run")

const getSpec: Spec<RunIds, Run> = {
  name: "Runs.get",
  method: "GET",
  ids: ["threadId", "runId"],
  path: (p) => `/threads/${p.threadId}/runs/${p.runId}`,
  response: decodeRun
}

const cancelSpec: Spec<RunIds, Run> = {
  ...getSpec,
  name: "Runs.cancel",
  method: "POST",
  path: (p) => `/threads/${p.threadId}/runs/${p.runId}/cancel`
}

const request = <P, A>(spec: Spec<P, A>, params: P) =>
  Effect.flatMap(AssistantsClient, (client) => {
    const operation = prepare(spec, params)
    return operation instanceof InvalidRequestError ? Effect.fail(operation) : client.execute(operation)
  })

/** A run read by polling, as the event a stream would have carried. */
const runEvent = (run: Run): AssistantStreamEvent | undefined =>
  (runEventNames as ReadonlyArray<string>).includes(`thread.run.${run.status}`)
    ? { event: `thread.run.${run.status}` as RunEventName, data: run }
    : undefined

/**
 * The events of a run this stream did not start: there is no stream to join, so it is watched (as
 * `Runs.watch` polls) until it is terminal or requires action, one `thread.run.*` event per status
 * seen.
 */
const joined = (
  ids: RunIds,
  options: PollOptions
): Stream.Stream<AssistantStreamEvent, AssistantsError, AssistantsClient> =>
  Stream.unwrap(Effect.map(AssistantsClient, (client) => {
    const execute = <A>(spec: Spec<RunIds, A>, params: RunIds) => {
      const operation = prepare(spec, params)
      return operation instanceof InvalidRequestError ? Effect.fail(operation) : client.execute(operation)
    }
    const operations: RunOperations = {
      getWithHeaders: (params) => execute(getSpec, params),
      cancel: (params) => Effect.map(execute(cancelSpec, params), (response) => response.value),
      submitToolOutputsWithHeaders: () => Effect.dieMessage("joining a run submits nothing")
    }
    return Stream.filterMap(
      watch(operations, { ...ids, interval: options.interval, schedule: options.schedule }),
      (transition) => Option.fromNullable(runEvent(transition.run))
    )
  }))

/** Runs the handlers of a run's calls, concurrently; unknown functions and bad arguments give error outputs. */
const answer = <T extends Tool.Any>(
  calls: ReadonlyArray<RunToolCall>,
  tools: ReadonlyArray<T>,
  concurrency: number
): Effect.Effect<Array<{ readonly toolCallId: string; readonly output: string }>, ToolError<T>, ToolContext<T>> => {
  const byName = new Map(tools.map((t) => [t.name, t]))
  return Effect.forEach(calls, (call) => {
    const tool = byName.get(call.function.name)
    const result = tool === undefined ? unknownFunction(call.function.name) : tool.call(call.function.arguments)
    return typeof result === "string"
      ? Effect.succeed({ toolCallId: call.id, output: result })
      : Effect.map(result, (output) => ({ toolCallId: call.id, output }))
  }, { concurrency }) as Effect.Effect<
    Array<{ readonly toolCallId: string; readonly output: string }>,
    ToolError<T>,
    ToolContext<T>
  >
}

/**
 * Follows `events`, and on each `requires_action` it ends with, answers the calls with the
 * declared tools and goes on with the submit stream: one stream across every round.
 */
const rounds = <T extends Tool.Any>(
  events: Stream.Stream<AssistantStreamEvent, AssistantsError, AssistantsClient>,
  threadId: string,
  options: ToolLoopOptions<T>
): Stream.Stream<AssistantStreamEvent, ToolStreamError<T>, AssistantsClient | ToolContext<T>> => {
  const maxRounds = options.maxRounds ?? 10
  const concurrency = options.concurrency ?? 8
  const follow = (
    events: Stream.Stream<AssistantStreamEvent, AssistantsError, AssistantsClient>,
    n: number
  ): Stream.Stream<AssistantStreamEvent, ToolStreamError<T>, AssistantsClient | ToolContext<T>> =>
    Stream.suspend(() => {
      let last: Run | undefined
      const seen = Stream.map(events, (event) => {
        last = runOf(event) ?? last
        return event
      })
      const next = Stream.unwrap(Effect.suspend(() => {
        const run = last
        if (run === undefined || run.status !== "requires_action" || run.requiredAction === null) {
          return Effect.succeed(Stream.empty)
        }
        const ids = { threadId, runId: run.id }
        if (n >= maxRounds) {
          return Effect.zipRight(
            Effect.ignore(request(cancelSpec, ids)),
            Effect.fail(
              new ToolRoundsExceededError({
                ...ids,
                maxRounds,
                message: `run ${run.id} asked for more than ${maxRounds} rounds of tool calls; it was cancelled`
              })
            )
          )
        }
        return Effect.map(
          answer(run.requiredAction.submitToolOutputs.toolCalls, options.tools, concurrency),
          (toolOutputs) => follow(submitToolOutputsStream({ ...ids, toolOutputs }), n + 1)
        )
      }))
      return Stream.concat(seen, next)
    })
  const loop = follow(events, 0)
  if (options.deadline === undefined) return loop
  const limit = Duration.decode(options.deadline)
  return Stream.interruptWhen(
    loop,
    Effect.zipRight(
      Effect.sleep(limit),
      Effect.failSync(() =>
        new TimeoutError({
          message: `the tool loop did not finish within ${Duration.format(limit)}`,
          timeoutMillis: Duration.toMillis(limit),
          outcome: "unknown"
        })
      )
    )
  )
}

/**
 * The tool loop over one stream, for a run already started: on each `requires_action` the
 * declared tools answer the calls (as `Runs.runTools` does: arguments decoded with each tool's
 * schema, handlers run concurrently, bad arguments and unknown functions answered with an error
 * output), the outputs are submitted with `submitToolOutputsStream`, and its events follow in the
 * same stream, until the run is terminal. The run is first read (and polled while it is neither
 * terminal nor waiting: there is no stream to join), as `thread.run.*` events. Options and
 * failures are those of `Runs.runTools`; `deadline` covers the whole loop.
 *
 * @since 0.1.0
 * @category tools
 */
export const runToolsStream = <T extends Tool.Any>(
  params: RunToolsStreamParams<T>
): Stream.Stream<AssistantStreamEvent, ToolStreamError<T>, AssistantsClient | ToolContext<T>> =>
  rounds(joined(params, params), params.threadId, params)

/**
 * Starts a run with the declared tools and streams it through every tool round (see
 * {@link runToolsStream}): one stream from `thread.run.created` to the terminal run.
 *
 * @since 0.1.0
 * @category tools
 */
export const createAndRunToolsStream = <T extends Tool.Any>(
  params: CreateAndRunToolsStreamParams<T>
): Stream.Stream<AssistantStreamEvent, ToolStreamError<T>, AssistantsClient | ToolContext<T>> => {
  const {
    concurrency: _c,
    deadline: _d,
    interval: _i,
    maxRounds: _m,
    schedule: _s,
    sendDefinitions,
    tools,
    ...create
  } = params
  return rounds(
    createStream({ ...create, ...(sendDefinitions === false ? {} : { tools: tools.map((t) => t.definition) }) }),
    params.threadId,
    params
  )
}
