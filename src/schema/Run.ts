/**
 * Runs: the object, its status machine, the tool calls it asks for, and the request bodies.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { LastError, Metadata, MetadataParam, nullable, openEnum, Timestamp, Usage, withDefault } from "./Common.js"
import { lazy } from "./internal/lazy.js"
import { CreateMessageParams } from "./MessageParams.js"
import { ReasoningEffort, ResponseFormat, Tool, ToolChoice, TruncationStrategy } from "./Tool.js"

/**
 * Every status the API documents, in the order a run can pass through them.
 *
 * @since 0.1.0
 * @category constants
 */
export const knownStatuses = [
  "queued",
  "in_progress",
  "requires_action",
  "cancelling",
  "cancelled",
  "failed",
  "completed",
  "incomplete",
  "expired"
] as const

/**
 * A run status; one this version does not know is carried as its raw string (`Unknown`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunStatus = /* @__PURE__ */ lazy(() => openEnum(...knownStatuses))

/**
 * @since 0.1.0
 * @category models
 */
export type RunStatus = typeof RunStatus.Type

/**
 * The statuses after which a run never changes again.
 *
 * @since 0.1.0
 * @category constants
 */
export const terminalStatuses: ReadonlySet<string> = new Set([
  "completed",
  "failed",
  "cancelled",
  "expired",
  "incomplete"
])

/**
 * A function call the run waits on.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunToolCall = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    id: Schema.String,
    type: Schema.Literal("function"),
    function: Schema.Struct({ name: Schema.String, arguments: Schema.String })
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type RunToolCall = typeof RunToolCall.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const RequiredAction = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    type: Schema.Literal("submit_tool_outputs"),
    submitToolOutputs: Schema.propertySignature(Schema.Struct({
      toolCalls: Schema.propertySignature(Schema.Array(RunToolCall)).pipe(Schema.fromKey("tool_calls"))
    })).pipe(Schema.fromKey("submit_tool_outputs"))
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type RequiredAction = typeof RequiredAction.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const Run = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    id: Schema.String,
    object: Schema.Literal("thread.run"),
    createdAt: Schema.propertySignature(Timestamp).pipe(Schema.fromKey("created_at")),
    threadId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("thread_id")),
    assistantId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("assistant_id")),
    status: RunStatus,
    requiredAction: nullable(RequiredAction).pipe(Schema.fromKey("required_action")),
    lastError: nullable(LastError).pipe(Schema.fromKey("last_error")),
    expiresAt: nullable(Timestamp).pipe(Schema.fromKey("expires_at")),
    startedAt: nullable(Timestamp).pipe(Schema.fromKey("started_at")),
    cancelledAt: nullable(Timestamp).pipe(Schema.fromKey("cancelled_at")),
    failedAt: nullable(Timestamp).pipe(Schema.fromKey("failed_at")),
    completedAt: nullable(Timestamp).pipe(Schema.fromKey("completed_at")),
    incompleteDetails: nullable(
      Schema.Struct({ reason: Schema.optional(openEnum("max_completion_tokens", "max_prompt_tokens")) })
    ).pipe(Schema.fromKey("incomplete_details")),
    model: Schema.String,
    instructions: nullable(Schema.String),
    tools: withDefault(Schema.Array(Tool), () => []),
    metadata: nullable(Metadata),
    usage: nullable(Usage),
    temperature: Schema.optional(Schema.NullOr(Schema.Number)),
    topP: Schema.optional(Schema.NullOr(Schema.Number)).pipe(Schema.fromKey("top_p")),
    maxPromptTokens: nullable(Schema.Int).pipe(Schema.fromKey("max_prompt_tokens")),
    maxCompletionTokens: nullable(Schema.Int).pipe(Schema.fromKey("max_completion_tokens")),
    truncationStrategy: nullable(TruncationStrategy).pipe(Schema.fromKey("truncation_strategy")),
    toolChoice: nullable(ToolChoice).pipe(Schema.fromKey("tool_choice")),
    parallelToolCalls: withDefault(Schema.Boolean, () => true).pipe(
      Schema.fromKey("parallel_tool_calls")
    ),
    responseFormat: nullable(ResponseFormat).pipe(Schema.fromKey("response_format"))
  }).annotations({ identifier: "Run" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface Run extends Schema.Schema.Type<typeof Run> {}

/**
 * Fields createRun and createThreadAndRun share, with the contract's limits: a function, so that
 * neither schema is built before it is used.
 *
 * @internal
 */
export const runFields = () => {
  const tokenLimit = Schema.optional(Schema.NullOr(Schema.Int.pipe(Schema.greaterThanOrEqualTo(256))))
  return {
    assistantId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("assistant_id")),
    model: Schema.optional(Schema.NullOr(Schema.String)),
    instructions: Schema.optional(Schema.NullOr(Schema.String)),
    tools: Schema.optional(Schema.NullOr(Schema.Array(Tool).pipe(Schema.maxItems(20)))),
    metadata: Schema.optional(Schema.NullOr(MetadataParam)),
    temperature: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.between(0, 2)))),
    topP: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.between(0, 1)))).pipe(Schema.fromKey("top_p")),
    maxPromptTokens: tokenLimit.pipe(Schema.fromKey("max_prompt_tokens")),
    maxCompletionTokens: tokenLimit.pipe(Schema.fromKey("max_completion_tokens")),
    truncationStrategy: Schema.optional(Schema.NullOr(TruncationStrategy)).pipe(Schema.fromKey("truncation_strategy")),
    toolChoice: Schema.optional(Schema.NullOr(ToolChoice)).pipe(Schema.fromKey("tool_choice")),
    parallelToolCalls: Schema.optional(Schema.Boolean).pipe(Schema.fromKey("parallel_tool_calls")),
    responseFormat: Schema.optional(Schema.NullOr(ResponseFormat)).pipe(Schema.fromKey("response_format"))
  }
}

/**
 * The body of `POST /threads/{thread_id}/runs`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreateRunParams = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    ...runFields(),
    reasoningEffort: Schema.optional(Schema.NullOr(ReasoningEffort)).pipe(Schema.fromKey("reasoning_effort")),
    additionalInstructions: Schema.optional(Schema.NullOr(Schema.String)).pipe(
      Schema.fromKey("additional_instructions")
    ),
    additionalMessages: Schema.optional(Schema.NullOr(Schema.Array(CreateMessageParams))).pipe(
      Schema.fromKey("additional_messages")
    )
  }).annotations({ identifier: "CreateRunParams" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateRunParams extends Schema.Schema.Type<typeof CreateRunParams> {}

/**
 * The body of `POST /threads/{thread_id}/runs/{run_id}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ModifyRunParams = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    metadata: Schema.optional(Schema.NullOr(MetadataParam))
  }).annotations({ identifier: "ModifyRunParams" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface ModifyRunParams extends Schema.Schema.Type<typeof ModifyRunParams> {}

/**
 * One tool output.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolOutput = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    toolCallId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("tool_call_id")),
    output: Schema.String
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type ToolOutput = typeof ToolOutput.Type

/**
 * The body of `POST /threads/{thread_id}/runs/{run_id}/submit_tool_outputs`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SubmitToolOutputsParams = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    toolOutputs: Schema.propertySignature(Schema.Array(ToolOutput)).pipe(Schema.fromKey("tool_outputs"))
  }).annotations({ identifier: "SubmitToolOutputsParams" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface SubmitToolOutputsParams extends Schema.Schema.Type<typeof SubmitToolOutputsParams> {}
