/**
 * Tools an assistant or run may use, and the options that steer them (tool choice, response
 * format, truncation); the resources they read are in `ToolResources.ts`. Function `parameters`
 * and JSON Schemas are user data and pass through untouched.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { JsonObject, openEnum, unknownMember } from "./Common.js"
import { lazy } from "./internal/lazy.js"

export {
  /**
   * An open JSON object (a JSON Schema, for example), never renamed.
   *
   * @since 0.1.0
   * @category schemas
   */
  JsonObject
} from "./Common.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export const FunctionDefinition = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    name: Schema.String,
    description: Schema.optional(Schema.String),
    parameters: Schema.optional(JsonObject),
    strict: Schema.optional(Schema.NullOr(Schema.Boolean))
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type FunctionDefinition = typeof FunctionDefinition.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const CodeInterpreterTool = /* @__PURE__ */ lazy(() =>
  Schema.Struct({ type: Schema.Literal("code_interpreter") })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export const FileSearchTool = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    type: Schema.Literal("file_search"),
    fileSearch: Schema.optional(
      Schema.Struct({
        maxNumResults: Schema.optional(Schema.Int).pipe(Schema.fromKey("max_num_results")),
        rankingOptions: Schema.optional(
          Schema.Struct({
            ranker: Schema.optional(openEnum("auto", "default_2024_08_21")),
            scoreThreshold: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("score_threshold"))
          })
        ).pipe(Schema.fromKey("ranking_options"))
      })
    ).pipe(Schema.fromKey("file_search"))
  })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export const FunctionTool = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    type: Schema.Literal("function"),
    function: FunctionDefinition
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type FunctionTool = typeof FunctionTool.Type

/**
 * Any tool; a tool type this version does not know decodes as an `UnknownMember`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Tool = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    CodeInterpreterTool,
    FileSearchTool,
    FunctionTool,
    unknownMember(["code_interpreter", "file_search", "function"])
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type Tool = typeof Tool.Type

/**
 * The format the model must answer in.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseFormat = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    Schema.Literal("auto"),
    Schema.Struct({ type: Schema.Literal("text") }),
    Schema.Struct({ type: Schema.Literal("json_object") }),
    Schema.Struct({
      type: Schema.Literal("json_schema"),
      jsonSchema: Schema.propertySignature(
        Schema.Struct({
          name: Schema.String,
          description: Schema.optional(Schema.String),
          schema: Schema.optional(JsonObject),
          strict: Schema.optional(Schema.NullOr(Schema.Boolean))
        })
      ).pipe(Schema.fromKey("json_schema"))
    }),
    unknownMember(["text", "json_object", "json_schema"])
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type ResponseFormat = typeof ResponseFormat.Type

/**
 * Which tool, if any, the model must call.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolChoice = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    Schema.Literal("none", "auto", "required"),
    Schema.Struct({
      type: openEnum("function", "code_interpreter", "file_search"),
      function: Schema.optional(Schema.Struct({ name: Schema.String }))
    })
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type ToolChoice = typeof ToolChoice.Type

/**
 * How the thread is truncated before a run.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TruncationStrategy = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    type: openEnum("auto", "last_messages"),
    lastMessages: Schema.optional(Schema.NullOr(Schema.Int)).pipe(Schema.fromKey("last_messages"))
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type TruncationStrategy = typeof TruncationStrategy.Type

/**
 * Reasoning effort for reasoning models.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ReasoningEffort = /* @__PURE__ */ lazy(() =>
  Schema.Literal("none", "minimal", "low", "medium", "high", "xhigh", "max")
)
