/**
 * Messages of a thread: the object with its content parts and annotations, and the request bodies.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import {
  Deleted,
  Metadata,
  MetadataParam,
  nullable,
  openEnum,
  Timestamp,
  unknownMember,
  withDefault
} from "./Common.js"
import { lazy } from "./internal/lazy.js"

// the two annotation kinds differ only in their type and the key that names the file
const FileRef = /* @__PURE__ */ lazy(() =>
  Schema.Struct({ fileId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("file_id")) })
)

const span = () => ({
  startIndex: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("start_index")),
  endIndex: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("end_index"))
})

const FileCitation = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    type: Schema.Literal("file_citation"),
    text: Schema.String,
    fileCitation: Schema.propertySignature(FileRef).pipe(Schema.fromKey("file_citation")),
    ...span()
  })
)

const FilePath = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    type: Schema.Literal("file_path"),
    text: Schema.String,
    filePath: Schema.propertySignature(FileRef).pipe(Schema.fromKey("file_path")),
    ...span()
  })
)

/**
 * A citation inside a text part.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Annotation = /* @__PURE__ */ lazy(() =>
  Schema.Union(FileCitation, FilePath, unknownMember(["file_citation", "file_path"]))
)

/**
 * @since 0.1.0
 * @category models
 */
export type Annotation = typeof Annotation.Type

const Detail = /* @__PURE__ */ lazy(() => openEnum("auto", "low", "high"))

/**
 * @since 0.1.0
 * @category schemas
 */
export const ImageFile = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    fileId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("file_id")),
    detail: Schema.optional(Detail)
  })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export const ImageUrl = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    url: Schema.String,
    detail: Schema.optional(Detail)
  })
)

const ImageFilePart = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    type: Schema.Literal("image_file"),
    imageFile: Schema.propertySignature(ImageFile).pipe(Schema.fromKey("image_file"))
  })
)

const ImageUrlPart = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    type: Schema.Literal("image_url"),
    imageUrl: Schema.propertySignature(ImageUrl).pipe(Schema.fromKey("image_url"))
  })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export const TextPart = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    type: Schema.Literal("text"),
    text: Schema.Struct({
      value: Schema.String,
      annotations: withDefault(Schema.Array(Annotation), () => [])
    })
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type TextPart = typeof TextPart.Type

/**
 * One part of a message's content; a part type this version does not know decodes as an
 * `UnknownMember`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContentPart = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    TextPart,
    ImageFilePart,
    ImageUrlPart,
    Schema.Struct({ type: Schema.Literal("refusal"), refusal: Schema.String }),
    unknownMember(["text", "image_file", "image_url", "refusal"])
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type ContentPart = typeof ContentPart.Type

/**
 * A file attached to a message and the tools that read it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Attachment = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    fileId: Schema.optional(Schema.String).pipe(Schema.fromKey("file_id")),
    tools: Schema.optional(
      Schema.Array(
        Schema.Union(
          Schema.Struct({ type: Schema.Literal("code_interpreter") }),
          Schema.Struct({ type: Schema.Literal("file_search") }),
          unknownMember(["code_interpreter", "file_search"])
        )
      )
    )
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type Attachment = typeof Attachment.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const MessageStatus = /* @__PURE__ */ lazy(() => openEnum("in_progress", "incomplete", "completed"))

/**
 * @since 0.1.0
 * @category schemas
 */
export const Message = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    id: Schema.String,
    object: Schema.Literal("thread.message"),
    createdAt: Schema.propertySignature(Timestamp).pipe(Schema.fromKey("created_at")),
    threadId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("thread_id")),
    status: withDefault(MessageStatus, () => "completed" as const),
    incompleteDetails: nullable(
      Schema.Struct({
        reason: openEnum("content_filter", "max_tokens", "run_cancelled", "run_expired", "run_failed")
      })
    ).pipe(Schema.fromKey("incomplete_details")),
    completedAt: nullable(Timestamp).pipe(Schema.fromKey("completed_at")),
    incompleteAt: nullable(Timestamp).pipe(Schema.fromKey("incomplete_at")),
    role: openEnum("user", "assistant"),
    content: Schema.Array(ContentPart),
    assistantId: nullable(Schema.String).pipe(Schema.fromKey("assistant_id")),
    runId: nullable(Schema.String).pipe(Schema.fromKey("run_id")),
    attachments: nullable(Schema.Array(Attachment)),
    metadata: nullable(Metadata)
  }).annotations({ identifier: "Message" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface Message extends Schema.Schema.Type<typeof Message> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const MessageDeleted = /* @__PURE__ */ lazy(() =>
  Deleted("thread.message.deleted").annotations({ identifier: "MessageDeleted" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface MessageDeleted extends Schema.Schema.Type<typeof MessageDeleted> {}

export {
  /**
   * @since 0.1.0
   * @category schemas
   */
  ContentPartParam,
  /**
   * @since 0.1.0
   * @category schemas
   */
  CreateMessageParams
} from "./MessageParams.js"

/**
 * The body of `POST /threads/{thread_id}/messages/{message_id}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ModifyMessageParams = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    metadata: Schema.optional(Schema.NullOr(MetadataParam))
  }).annotations({ identifier: "ModifyMessageParams" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface ModifyMessageParams extends Schema.Schema.Type<typeof ModifyMessageParams> {}
