/**
 * The events of a streamed run (`stream: true`): their names, the two delta objects, and the
 * union a stream emits, `{ event, data }` with `event` the wire name and `data` decoded.
 *
 * The wire's `error` and `done` events are not members: the stream fails on the first and ends on
 * the second. An event name this version does not know is an {@link UnknownEvent} carrying the raw
 * JSON, so a new event never fails a stream.
 *
 * Deltas are lenient: every field of a delta but its `index` and `type` may be absent (the API
 * sends only what changed), and a part or tool call type this version does not know decodes as an
 * `UnknownMember` with its raw JSON.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { JsonObject, nullable, openEnum, unknownMember } from "./Common.js"
import { lazy } from "./internal/lazy.js"
import { Message } from "./Message.js"
import { Run } from "./Run.js"
import { RunStep } from "./RunStep.js"
import { Thread } from "./Thread.js"

/**
 * The name of `thread.created`, sent first by a streamed createThreadAndRun.
 *
 * @since 0.1.0
 * @category constants
 */
export const threadEventNames = ["thread.created"] as const

/**
 * The events whose data is the run, one per status.
 *
 * @since 0.1.0
 * @category constants
 */
export const runEventNames = [
  "thread.run.created",
  "thread.run.queued",
  "thread.run.in_progress",
  "thread.run.requires_action",
  "thread.run.completed",
  "thread.run.incomplete",
  "thread.run.failed",
  "thread.run.cancelling",
  "thread.run.cancelled",
  "thread.run.expired"
] as const

/**
 * The events whose data is a whole run step.
 *
 * @since 0.1.0
 * @category constants
 */
export const runStepEventNames = [
  "thread.run.step.created",
  "thread.run.step.in_progress",
  "thread.run.step.completed",
  "thread.run.step.failed",
  "thread.run.step.cancelled",
  "thread.run.step.expired"
] as const

/**
 * The events whose data is a whole message.
 *
 * @since 0.1.0
 * @category constants
 */
export const messageEventNames = [
  "thread.message.created",
  "thread.message.in_progress",
  "thread.message.completed",
  "thread.message.incomplete"
] as const

/**
 * Every event name the API documents: the 23 above and the two deltas, plus `error` and `done`.
 *
 * @since 0.1.0
 * @category constants
 */
export const eventNames: ReadonlyArray<string> = [
  ...threadEventNames,
  ...runEventNames,
  ...runStepEventNames,
  "thread.run.step.delta",
  ...messageEventNames,
  "thread.message.delta",
  "error",
  "done"
]

/**
 * @since 0.1.0
 * @category models
 */
export type RunEventName = typeof runEventNames[number]

/**
 * @since 0.1.0
 * @category models
 */
export type RunStepEventName = typeof runStepEventNames[number]

/**
 * @since 0.1.0
 * @category models
 */
export type MessageEventName = typeof messageEventNames[number]

const index = Schema.Int

const AnnotationDelta = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    Schema.Struct({
      index,
      type: Schema.Literal("file_citation"),
      text: Schema.optional(Schema.String),
      fileCitation: Schema.optional(
        Schema.Struct({
          fileId: Schema.optional(Schema.String).pipe(Schema.fromKey("file_id")),
          quote: Schema.optional(Schema.String)
        })
      ).pipe(Schema.fromKey("file_citation")),
      startIndex: Schema.optional(Schema.Int).pipe(Schema.fromKey("start_index")),
      endIndex: Schema.optional(Schema.Int).pipe(Schema.fromKey("end_index"))
    }),
    Schema.Struct({
      index,
      type: Schema.Literal("file_path"),
      text: Schema.optional(Schema.String),
      filePath: Schema.optional(
        Schema.Struct({ fileId: Schema.optional(Schema.String).pipe(Schema.fromKey("file_id")) })
      ).pipe(Schema.fromKey("file_path")),
      startIndex: Schema.optional(Schema.Int).pipe(Schema.fromKey("start_index")),
      endIndex: Schema.optional(Schema.Int).pipe(Schema.fromKey("end_index"))
    }),
    unknownMember(["file_citation", "file_path"])
  )
)

/**
 * A piece of an annotation: `index` places it in the text part's annotations.
 *
 * @since 0.1.0
 * @category models
 */
export type AnnotationDelta = typeof AnnotationDelta.Type

const Detail = /* @__PURE__ */ lazy(() => openEnum("auto", "low", "high"))

/**
 * A piece of one content part of a message; `index` says which part it extends.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContentDelta = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    Schema.Struct({
      index,
      type: Schema.Literal("text"),
      text: Schema.optional(Schema.Struct({
        value: Schema.optional(Schema.String),
        annotations: Schema.optional(Schema.Array(AnnotationDelta))
      }))
    }),
    Schema.Struct({
      index,
      type: Schema.Literal("image_file"),
      imageFile: Schema.optional(Schema.Struct({
        fileId: Schema.optional(Schema.String).pipe(Schema.fromKey("file_id")),
        detail: Schema.optional(Detail)
      })).pipe(Schema.fromKey("image_file"))
    }),
    Schema.Struct({
      index,
      type: Schema.Literal("image_url"),
      imageUrl: Schema.optional(Schema.Struct({
        url: Schema.optional(Schema.String),
        detail: Schema.optional(Detail)
      })).pipe(Schema.fromKey("image_url"))
    }),
    Schema.Struct({ index, type: Schema.Literal("refusal"), refusal: Schema.optional(Schema.String) }),
    unknownMember(["text", "image_file", "image_url", "refusal"])
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type ContentDelta = typeof ContentDelta.Type

/**
 * `thread.message.delta`: what changed in a message being written (`id` is the message's).
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageDelta = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    id: Schema.String,
    object: Schema.Literal("thread.message.delta"),
    delta: Schema.Struct({
      role: Schema.optional(openEnum("user", "assistant")),
      content: Schema.optional(Schema.Array(ContentDelta))
    })
  }).annotations({ identifier: "MessageDelta" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface MessageDelta extends Schema.Schema.Type<typeof MessageDelta> {}

const CodeOutputDelta = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    Schema.Struct({ index, type: Schema.Literal("logs"), logs: Schema.optional(Schema.String) }),
    Schema.Struct({
      index,
      type: Schema.Literal("image"),
      image: Schema.optional(Schema.Struct({ fileId: Schema.optional(Schema.String).pipe(Schema.fromKey("file_id")) }))
    }),
    unknownMember(["logs", "image"])
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type CodeOutputDelta = typeof CodeOutputDelta.Type

/**
 * A piece of one tool call of a run step; `index` says which call it extends. The first piece of
 * a call carries its `id` (and a function's `name`); `function.arguments` arrives in pieces.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolCallDelta = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    Schema.Struct({
      index,
      id: Schema.optional(Schema.String),
      type: Schema.Literal("code_interpreter"),
      codeInterpreter: Schema.optional(Schema.Struct({
        input: Schema.optional(Schema.String),
        outputs: Schema.optional(Schema.Array(CodeOutputDelta))
      })).pipe(Schema.fromKey("code_interpreter"))
    }),
    Schema.Struct({
      index,
      id: Schema.optional(Schema.String),
      type: Schema.Literal("file_search"),
      // the contract says only "a map"; it is kept as sent
      fileSearch: Schema.optional(JsonObject).pipe(Schema.fromKey("file_search"))
    }),
    Schema.Struct({
      index,
      id: Schema.optional(Schema.String),
      type: Schema.Literal("function"),
      function: Schema.optional(Schema.Struct({
        name: Schema.optional(Schema.String),
        arguments: Schema.optional(Schema.String),
        output: Schema.optional(Schema.NullOr(Schema.String))
      }))
    }),
    unknownMember(["code_interpreter", "file_search", "function"])
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type ToolCallDelta = typeof ToolCallDelta.Type

/**
 * The part of a run step that changed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const StepDetailsDelta = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    Schema.Struct({
      type: Schema.Literal("message_creation"),
      messageCreation: Schema.optional(
        Schema.Struct({ messageId: Schema.optional(Schema.String).pipe(Schema.fromKey("message_id")) })
      ).pipe(Schema.fromKey("message_creation"))
    }),
    Schema.Struct({
      type: Schema.Literal("tool_calls"),
      toolCalls: Schema.optional(Schema.Array(ToolCallDelta)).pipe(Schema.fromKey("tool_calls"))
    }),
    unknownMember(["message_creation", "tool_calls"])
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type StepDetailsDelta = typeof StepDetailsDelta.Type

/**
 * `thread.run.step.delta`: what changed in a run step (`id` is the step's), such as pieces of
 * its tool calls' arguments.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunStepDelta = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    id: Schema.String,
    object: Schema.Literal("thread.run.step.delta"),
    delta: Schema.Struct({
      stepDetails: Schema.optional(StepDetailsDelta).pipe(Schema.fromKey("step_details"))
    })
  }).annotations({ identifier: "RunStepDelta" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface RunStepDelta extends Schema.Schema.Type<typeof RunStepDelta> {}

/**
 * The data of the `error` event: a bare error object, not `{ "error": ... }`. Lenient, as the
 * stream must still fail with what was sent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ErrorData = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    message: Schema.optional(Schema.String),
    type: Schema.optional(Schema.String),
    code: nullable(Schema.String),
    param: nullable(Schema.String)
  }).annotations({ identifier: "ErrorData" })
)

/**
 * @since 0.1.0
 * @category models
 */
export type ErrorData = typeof ErrorData.Type

const known: ReadonlySet<string> = new Set(eventNames)

/**
 * `thread.created`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ThreadEvent = /* @__PURE__ */ lazy(() =>
  Schema.Struct({ event: Schema.Literal(...threadEventNames), data: Thread })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface ThreadEvent extends Schema.Schema.Type<typeof ThreadEvent> {}

/**
 * `thread.run.*`: the run at each status.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunEvent = /* @__PURE__ */ lazy(() =>
  Schema.Struct({ event: Schema.Literal(...runEventNames), data: Run })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface RunEvent extends Schema.Schema.Type<typeof RunEvent> {}

/**
 * `thread.run.step.*` but the delta: the whole step.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunStepEvent = /* @__PURE__ */ lazy(() =>
  Schema.Struct({ event: Schema.Literal(...runStepEventNames), data: RunStep })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface RunStepEvent extends Schema.Schema.Type<typeof RunStepEvent> {}

/**
 * `thread.run.step.delta`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunStepDeltaEvent = /* @__PURE__ */ lazy(() =>
  Schema.Struct({ event: Schema.Literal("thread.run.step.delta"), data: RunStepDelta })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface RunStepDeltaEvent extends Schema.Schema.Type<typeof RunStepDeltaEvent> {}

/**
 * `thread.message.*` but the delta: the whole message.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageEvent = /* @__PURE__ */ lazy(() =>
  Schema.Struct({ event: Schema.Literal(...messageEventNames), data: Message })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface MessageEvent extends Schema.Schema.Type<typeof MessageEvent> {}

/**
 * `thread.message.delta`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageDeltaEvent = /* @__PURE__ */ lazy(() =>
  Schema.Struct({ event: Schema.Literal("thread.message.delta"), data: MessageDelta })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface MessageDeltaEvent extends Schema.Schema.Type<typeof MessageDeltaEvent> {}

/**
 * An event this version does not know: its wire `name` and its `data` as sent (parsed JSON, or
 * the text when it is not JSON).
 *
 * @since 0.1.0
 * @category models
 */
export interface UnknownEvent {
  readonly event: "unknown"
  readonly name: string
  readonly data: unknown
}

/**
 * The catch-all member: any event whose name is not one of {@link eventNames}.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UnknownEvent: Schema.Schema<UnknownEvent, { readonly event: string; readonly data: unknown }> =
  /* @__PURE__ */ lazy(() =>
    Schema.transform(
      Schema.Struct({
        event: Schema.String.pipe(Schema.filter((name) => !known.has(name))),
        data: Schema.Unknown
      }),
      Schema.Struct({ event: Schema.Literal("unknown"), name: Schema.String, data: Schema.Unknown }),
      {
        strict: true,
        decode: (wire) => ({ event: "unknown" as const, name: wire.event, data: wire.data }),
        encode: (event) => ({ event: event.name, data: event.data })
      }
    )
  )

/**
 * One element of a streamed run, `{ event, data }` as parsed from the wire (`data` as JSON),
 * dispatching on `event`. For decoding stored or recorded events; a stream decodes each event's
 * data directly.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AssistantStreamEvent = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    ThreadEvent,
    RunEvent,
    RunStepEvent,
    RunStepDeltaEvent,
    MessageEvent,
    MessageDeltaEvent,
    UnknownEvent
  ).annotations({ identifier: "AssistantStreamEvent" })
)

/**
 * @since 0.1.0
 * @category models
 */
export type AssistantStreamEvent =
  | ThreadEvent
  | RunEvent
  | RunStepEvent
  | RunStepDeltaEvent
  | MessageEvent
  | MessageDeltaEvent
  | UnknownEvent

/**
 * The schema of the `data` of a known event name, and its name for error messages; `undefined`
 * for `error`, `done` and names this version does not know.
 *
 * @since 0.1.0
 * @category utils
 */
export const dataSchema = (
  event: string
): { readonly schema: Schema.Schema<any, any>; readonly name: string } | undefined => dataSchemas.get(event)

const dataSchemas: ReadonlyMap<string, { readonly schema: Schema.Schema<any, any>; readonly name: string }> = new Map<
  string,
  { readonly schema: Schema.Schema<any, any>; readonly name: string }
>([
  ["thread.created", { schema: Thread, name: "Thread" }],
  ...runEventNames.map((e) => [e, { schema: Run, name: "Run" }] as const),
  ...runStepEventNames.map((e) => [e, { schema: RunStep, name: "RunStep" }] as const),
  ["thread.run.step.delta", { schema: RunStepDelta, name: "RunStepDelta" }],
  ...messageEventNames.map((e) => [e, { schema: Message, name: "Message" }] as const),
  ["thread.message.delta", { schema: MessageDelta, name: "MessageDelta" }]
])
