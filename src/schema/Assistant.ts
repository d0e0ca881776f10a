/**
 * The assistant object and the bodies that create and modify it.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Deleted, Metadata, MetadataParam, nullable, Timestamp, withDefault } from "./Common.js"
import { lazy } from "./internal/lazy.js"
import { ReasoningEffort, ResponseFormat, Tool } from "./Tool.js"
import { ToolResources, ToolResourcesParam } from "./ToolResources.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export const Assistant = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    id: Schema.String,
    object: Schema.Literal("assistant"),
    createdAt: Schema.propertySignature(Timestamp).pipe(Schema.fromKey("created_at")),
    name: nullable(Schema.String),
    description: nullable(Schema.String),
    model: Schema.String,
    instructions: nullable(Schema.String),
    tools: withDefault(Schema.Array(Tool), () => []),
    toolResources: Schema.optional(Schema.NullOr(ToolResources)).pipe(Schema.fromKey("tool_resources")),
    metadata: nullable(Metadata),
    temperature: Schema.optional(Schema.NullOr(Schema.Number)),
    topP: Schema.optional(Schema.NullOr(Schema.Number)).pipe(Schema.fromKey("top_p")),
    responseFormat: Schema.optional(Schema.NullOr(ResponseFormat)).pipe(Schema.fromKey("response_format"))
  }).annotations({ identifier: "Assistant" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface Assistant extends Schema.Schema.Type<typeof Assistant> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const AssistantDeleted = /* @__PURE__ */ lazy(() =>
  Deleted("assistant.deleted").annotations({ identifier: "AssistantDeleted" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface AssistantDeleted extends Schema.Schema.Type<typeof AssistantDeleted> {}

/**
 * The limits below are the contract's; they are checked before a request is sent. A function, so
 * that neither schema is built before it is used.
 */
const assistantFields = () => ({
  model: Schema.String,
  name: Schema.optional(Schema.NullOr(Schema.String.pipe(Schema.maxLength(256)))),
  description: Schema.optional(Schema.NullOr(Schema.String.pipe(Schema.maxLength(512)))),
  instructions: Schema.optional(Schema.NullOr(Schema.String.pipe(Schema.maxLength(256_000)))),
  reasoningEffort: Schema.optional(Schema.NullOr(ReasoningEffort)).pipe(Schema.fromKey("reasoning_effort")),
  tools: Schema.optional(Schema.Array(Tool).pipe(Schema.maxItems(128))),
  toolResources: Schema.optional(Schema.NullOr(ToolResourcesParam)).pipe(Schema.fromKey("tool_resources")),
  metadata: Schema.optional(Schema.NullOr(MetadataParam)),
  temperature: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.between(0, 2)))),
  topP: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.between(0, 1)))).pipe(Schema.fromKey("top_p")),
  responseFormat: Schema.optional(Schema.NullOr(ResponseFormat)).pipe(Schema.fromKey("response_format"))
})

/**
 * The body of `POST /assistants`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreateAssistantParams = /* @__PURE__ */ lazy(() =>
  Schema.Struct(assistantFields()).annotations({ identifier: "CreateAssistantParams" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateAssistantParams extends Schema.Schema.Type<typeof CreateAssistantParams> {}

/**
 * The body of `POST /assistants/{assistant_id}`: every create field, all optional.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ModifyAssistantParams = /* @__PURE__ */ lazy(() =>
  Schema.Struct({ ...assistantFields(), model: Schema.optional(Schema.String) })
    .annotations({ identifier: "ModifyAssistantParams" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface ModifyAssistantParams extends Schema.Schema.Type<typeof ModifyAssistantParams> {}
