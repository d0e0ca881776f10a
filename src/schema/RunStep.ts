/**
 * Run steps: what a run did, message creations and tool calls.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { LastError, Metadata, nullable, openEnum, Timestamp, unknownMember, Usage } from "./Common.js"
import { lazy } from "./internal/lazy.js"

const CodeOutput = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    Schema.Struct({ type: Schema.Literal("logs"), logs: Schema.String }),
    Schema.Struct({
      type: Schema.Literal("image"),
      image: Schema.Struct({ fileId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("file_id")) })
    }),
    unknownMember(["logs", "image"])
  )
)

const FileSearchResult = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    fileId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("file_id")),
    fileName: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("file_name")),
    score: Schema.Number,
    content: Schema.optional(
      Schema.Array(Schema.Struct({ type: Schema.optional(Schema.String), text: Schema.optional(Schema.String) }))
    )
  })
)

/**
 * A tool call a run step made; a type this version does not know decodes as an `UnknownMember`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const StepToolCall = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    Schema.Struct({
      id: Schema.String,
      type: Schema.Literal("code_interpreter"),
      codeInterpreter: Schema.propertySignature(
        Schema.Struct({ input: Schema.String, outputs: Schema.Array(CodeOutput) })
      ).pipe(Schema.fromKey("code_interpreter"))
    }),
    Schema.Struct({
      id: Schema.String,
      type: Schema.Literal("file_search"),
      fileSearch: Schema.propertySignature(
        Schema.Struct({
          rankingOptions: Schema.optional(
            Schema.Struct({
              ranker: Schema.String,
              scoreThreshold: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("score_threshold"))
            })
          ).pipe(Schema.fromKey("ranking_options")),
          results: Schema.optional(Schema.Array(FileSearchResult))
        })
      ).pipe(Schema.fromKey("file_search"))
    }),
    Schema.Struct({
      id: Schema.String,
      type: Schema.Literal("function"),
      function: Schema.Struct({ name: Schema.String, arguments: Schema.String, output: nullable(Schema.String) })
    }),
    unknownMember(["code_interpreter", "file_search", "function"])
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type StepToolCall = typeof StepToolCall.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const StepDetails = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    Schema.Struct({
      type: Schema.Literal("message_creation"),
      messageCreation: Schema.propertySignature(
        Schema.Struct({ messageId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("message_id")) })
      ).pipe(Schema.fromKey("message_creation"))
    }),
    Schema.Struct({
      type: Schema.Literal("tool_calls"),
      toolCalls: Schema.propertySignature(Schema.Array(StepToolCall)).pipe(Schema.fromKey("tool_calls"))
    }),
    unknownMember(["message_creation", "tool_calls"])
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type StepDetails = typeof StepDetails.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const RunStepStatus = /* @__PURE__ */ lazy(() =>
  openEnum("in_progress", "cancelled", "failed", "completed", "expired")
)

/**
 * @since 0.1.0
 * @category schemas
 */
export const RunStep = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    id: Schema.String,
    object: Schema.Literal("thread.run.step"),
    createdAt: Schema.propertySignature(Timestamp).pipe(Schema.fromKey("created_at")),
    assistantId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("assistant_id")),
    threadId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("thread_id")),
    runId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("run_id")),
    type: openEnum("message_creation", "tool_calls"),
    status: RunStepStatus,
    stepDetails: Schema.propertySignature(StepDetails).pipe(Schema.fromKey("step_details")),
    lastError: nullable(LastError).pipe(Schema.fromKey("last_error")),
    expiredAt: nullable(Timestamp).pipe(Schema.fromKey("expired_at")),
    cancelledAt: nullable(Timestamp).pipe(Schema.fromKey("cancelled_at")),
    failedAt: nullable(Timestamp).pipe(Schema.fromKey("failed_at")),
    completedAt: nullable(Timestamp).pipe(Schema.fromKey("completed_at")),
    metadata: nullable(Metadata),
    usage: nullable(Usage)
  }).annotations({ identifier: "RunStep" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface RunStep extends Schema.Schema.Type<typeof RunStep> {}
