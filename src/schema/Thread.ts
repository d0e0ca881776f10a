/**
 * Threads and the bodies that create and modify them.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Deleted, Metadata, MetadataParam, nullable, Timestamp } from "./Common.js"
import { lazy } from "./internal/lazy.js"
import { CreateMessageParams } from "./MessageParams.js"
import { runFields } from "./Run.js"
import { ToolResources, ToolResourcesParam } from "./ToolResources.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export const Thread = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    id: Schema.String,
    object: Schema.Literal("thread"),
    createdAt: Schema.propertySignature(Timestamp).pipe(Schema.fromKey("created_at")),
    toolResources: nullable(ToolResources).pipe(Schema.fromKey("tool_resources")),
    metadata: nullable(Metadata)
  }).annotations({ identifier: "Thread" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface Thread extends Schema.Schema.Type<typeof Thread> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const ThreadDeleted = /* @__PURE__ */ lazy(() =>
  Deleted("thread.deleted").annotations({ identifier: "ThreadDeleted" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface ThreadDeleted extends Schema.Schema.Type<typeof ThreadDeleted> {}

/**
 * The body of `POST /threads`, and the `thread` of `POST /threads/runs`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreateThreadParams = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    messages: Schema.optional(Schema.Array(CreateMessageParams)),
    toolResources: Schema.optional(Schema.NullOr(ToolResourcesParam)).pipe(Schema.fromKey("tool_resources")),
    metadata: Schema.optional(Schema.NullOr(MetadataParam))
  }).annotations({ identifier: "CreateThreadParams" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateThreadParams extends Schema.Schema.Type<typeof CreateThreadParams> {}

/**
 * The body of `POST /threads/{thread_id}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ModifyThreadParams = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    toolResources: Schema.optional(Schema.NullOr(ToolResourcesParam)).pipe(Schema.fromKey("tool_resources")),
    metadata: Schema.optional(Schema.NullOr(MetadataParam))
  }).annotations({ identifier: "ModifyThreadParams" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface ModifyThreadParams extends Schema.Schema.Type<typeof ModifyThreadParams> {}

/**
 * The body of `POST /threads/runs`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreateThreadAndRunParams = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    ...runFields(),
    thread: Schema.optional(CreateThreadParams),
    toolResources: Schema.optional(Schema.NullOr(ToolResourcesParam)).pipe(Schema.fromKey("tool_resources"))
  }).annotations({ identifier: "CreateThreadAndRunParams" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateThreadAndRunParams extends Schema.Schema.Type<typeof CreateThreadAndRunParams> {}
