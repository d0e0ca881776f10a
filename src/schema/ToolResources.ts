/**
 * The files and vector stores tools read: as assistants and threads report them, and as their
 * create and modify requests may carry them. Only assistants and threads have them, so a program
 * that uses runs or messages alone does not bundle them.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { JsonObject } from "./Common.js"
import { lazy } from "./internal/lazy.js"

/**
 * Files and vector stores the tools read, as objects report them.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolResources = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    codeInterpreter: Schema.optional(
      Schema.Struct({ fileIds: Schema.optional(Schema.Array(Schema.String)).pipe(Schema.fromKey("file_ids")) })
    ).pipe(Schema.fromKey("code_interpreter")),
    fileSearch: Schema.optional(
      Schema.Struct({
        vectorStoreIds: Schema.optional(Schema.Array(Schema.String)).pipe(Schema.fromKey("vector_store_ids"))
      })
    ).pipe(Schema.fromKey("file_search"))
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type ToolResources = typeof ToolResources.Type

const ChunkingStrategy = /* @__PURE__ */ lazy(() =>
  Schema.Union(
    Schema.Struct({ type: Schema.Literal("auto") }),
    Schema.Struct({
      type: Schema.Literal("static"),
      static: Schema.Struct({
        maxChunkSizeTokens: Schema.propertySignature(Schema.Int.pipe(Schema.between(100, 4096))).pipe(
          Schema.fromKey("max_chunk_size_tokens")
        ),
        chunkOverlapTokens: Schema.propertySignature(Schema.Int.pipe(Schema.nonNegative())).pipe(
          Schema.fromKey("chunk_overlap_tokens")
        )
      })
    })
  )
)

/**
 * Tool resources as a create request may carry them (with the contract's limits, and inline vector
 * stores for assistants and threads).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolResourcesParam = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    codeInterpreter: Schema.optional(
      Schema.Struct({
        fileIds: Schema.optional(Schema.Array(Schema.String).pipe(Schema.maxItems(20))).pipe(Schema.fromKey("file_ids"))
      })
    ).pipe(Schema.fromKey("code_interpreter")),
    fileSearch: Schema.optional(
      Schema.Struct({
        vectorStoreIds: Schema.optional(Schema.Array(Schema.String).pipe(Schema.maxItems(1))).pipe(
          Schema.fromKey("vector_store_ids")
        ),
        vectorStores: Schema.optional(
          Schema.Array(
            Schema.Struct({
              fileIds: Schema.optional(Schema.Array(Schema.String)).pipe(Schema.fromKey("file_ids")),
              chunkingStrategy: Schema.optional(ChunkingStrategy).pipe(Schema.fromKey("chunking_strategy")),
              metadata: Schema.optional(JsonObject)
            })
          ).pipe(Schema.maxItems(1))
        ).pipe(Schema.fromKey("vector_stores"))
      }).pipe(
        Schema.filter((fs) =>
          fs.vectorStoreIds !== undefined && fs.vectorStores !== undefined
            ? "file_search takes vectorStoreIds or vectorStores, not both"
            : true
        )
      )
    ).pipe(Schema.fromKey("file_search"))
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type ToolResourcesParam = typeof ToolResourcesParam.Type
