/**
 * Messages as requests send them: the body of `POST /threads/{thread_id}/messages`, also used for
 * a thread's initial messages and a run's additional messages. Apart from `Message` so that the
 * run and thread schemas do not load the message response schemas.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { MetadataParam } from "./Common.js"
import { lazy } from "./internal/lazy.js"

/**
 * A content part as a request may send it (no refusals, text as a plain string).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContentPartParam = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    Schema.Struct({ type: Schema.Literal("text"), text: Schema.String }),
    Schema.Struct({
      type: Schema.Literal("image_file"),
      imageFile: Schema.propertySignature(
        Schema.Struct({
          fileId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("file_id")),
          detail: Schema.optional(Schema.Literal("auto", "low", "high"))
        })
      ).pipe(Schema.fromKey("image_file"))
    }),
    Schema.Struct({
      type: Schema.Literal("image_url"),
      imageUrl: Schema.propertySignature(
        Schema.Struct({ url: Schema.String, detail: Schema.optional(Schema.Literal("auto", "low", "high")) })
      ).pipe(Schema.fromKey("image_url"))
    })
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type ContentPartParam = typeof ContentPartParam.Type

/**
 * The body of `POST /threads/{thread_id}/messages`, also used for a thread's initial messages.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreateMessageParams = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    role: Schema.Literal("user", "assistant"),
    content: Schema.Union(Schema.String, Schema.NonEmptyArray(ContentPartParam)),
    attachments: Schema.optional(
      Schema.NullOr(
        Schema.Array(
          Schema.Struct({
            fileId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("file_id")),
            tools: Schema.Array(
              Schema.Union(
                Schema.Struct({ type: Schema.Literal("code_interpreter") }),
                Schema.Struct({ type: Schema.Literal("file_search") })
              )
            )
          })
        )
      )
    ),
    metadata: Schema.optional(Schema.NullOr(MetadataParam))
  }).annotations({ identifier: "CreateMessageParams" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateMessageParams extends Schema.Schema.Type<typeof CreateMessageParams> {}
