/**
 * Reading requests and writing responses the way every route does: bodies decoded with the
 * client's own schemas (unknown parameters refused, failures naming the wire parameter), list
 * queries checked, JSON answered.
 *
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { firstIssue } from "effect-assistants/AssistantsError"
import { includeValue } from "effect-assistants/Common"
import * as Decoder from "effect-assistants/Decoder"
import type { ToolResources, ToolResourcesParam } from "effect-assistants/Tool"
import * as Effect from "effect/Effect"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { type ApiError, invalid } from "../ApiError.js"
import * as Ids from "../Ids.js"
import * as JsonDepth from "../JsonDepth.js"
import { CurrentLimits } from "../Limits.js"
import type { PageQuery } from "../Store.js"
import * as Body from "./Body.js"

const decodeOptions = { onExcessProperty: "error", errors: "first" } as const

/**
 * A body decoder whose failures name the wire parameter. Call the result with `true` when the
 * body may be absent (it then decodes as `{}`). The body is read within the size limit and its
 * depth checked before it is parsed.
 *
 * @since 0.1.0
 * @category decoding
 */
export const body = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknown(schema, decodeOptions)
  return (optional = false) =>
    Effect.gen(function*() {
      const text = yield* Body.text
      let json: unknown = {}
      if (text.trim() !== "") {
        const { maxJsonDepth } = yield* CurrentLimits
        const deep = JsonDepth.deeperThan(text, maxJsonDepth)
        if (deep !== undefined) {
          const param = JsonDepth.paramOf(deep)
          return yield* Effect.fail(invalid(
            `Invalid '${param ?? "body"}': JSON nested more than ${maxJsonDepth} levels deep.`,
            param,
            "invalid_value"
          ))
        }
        try {
          json = JSON.parse(text)
        } catch {
          return yield* Effect.fail(invalid(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
          ))
        }
      } else if (!optional) {
        return yield* Effect.fail(invalid("The request body is required.", null))
      }
      if (json === null || typeof json !== "object" || Array.isArray(json)) {
        return yield* Effect.fail(invalid("The request body must be a JSON object.", null))
      }
      return yield* Effect.mapError(decode(json), parseError)
    })
}

const parseError = (error: ParseResult.ParseError): ApiError => {
  const issue = firstIssue(error)
  if (issue._tag === "Unexpected" && issue.path !== undefined) {
    return invalid(`Unknown parameter: '${issue.path}'.`, issue.path, "unknown_parameter")
  }
  return invalid(`Invalid '${issue.path ?? "body"}': ${issue.message}`, issue.path ?? null, "invalid_value")
}

/**
 * The last value of a query parameter.
 *
 * @since 0.1.0
 * @category decoding
 */
export const searchParam = (
  params: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
  name: string
) => {
  const value = params[name]
  return Array.isArray(value) ? value[value.length - 1] : (value as string | undefined)
}

/**
 * The list query (`limit`, `order`, `after`, `before`), checked as the API checks it.
 *
 * @since 0.1.0
 * @category decoding
 */
export const pageQuery = Effect.gen(function*() {
  const params = yield* HttpServerRequest.ParsedSearchParams
  const limitText = searchParam(params, "limit")
  let limit = 20
  if (limitText !== undefined) {
    limit = Number(limitText)
    if (!/^-?\d+$/.test(limitText) || limit < 1 || limit > 100) {
      return yield* Effect.fail(
        invalid(`Invalid 'limit': integer between 1 and 100 expected, got '${limitText}'.`, "limit", "invalid_value")
      )
    }
  }
  const order = searchParam(params, "order") ?? "desc"
  if (order !== "asc" && order !== "desc") {
    return yield* Effect.fail(
      invalid(`Invalid 'order': expected 'asc' or 'desc', got '${order}'.`, "order", "invalid_value")
    )
  }
  const query: { -readonly [K in keyof PageQuery]: PageQuery[K] } = { limit, order }
  for (const key of ["after", "before"] as const) {
    const cursor = searchParam(params, key)
    if (cursor === undefined) continue
    if (Ids.keyOf(cursor) === undefined) {
      return yield* Effect.fail(invalid(`Invalid '${key}': '${cursor}' is not an object id.`, key, "invalid_value"))
    }
    query[key] = cursor
  }
  return query as PageQuery
})

/**
 * Refuses an `include[]` other than the file search result content.
 *
 * @since 0.1.0
 * @category decoding
 */
export const checkInclude = Effect.gen(function*() {
  const params = yield* HttpServerRequest.ParsedSearchParams
  for (const key of ["include[]", "include"]) {
    const value = params[key]
    const values = value === undefined ? [] : Array.isArray(value) ? value : [value as string]
    for (const v of values) {
      if (v !== includeValue) {
        return yield* Effect.fail(
          invalid(`Invalid 'include[]': expected '${includeValue}', got '${v}'.`, "include[]", "invalid_value")
        )
      }
    }
  }
})

/**
 * A path parameter (`""` when absent).
 *
 * @since 0.1.0
 * @category decoding
 */
export const param = (name: string) => Effect.map(HttpRouter.params, (p) => p[name] ?? "")

/**
 * An encoder of a response schema: the compiled one, with `Schema.encodeSync`'s results.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encoder = <A, I>(schema: Schema.Schema<A, I>) => Decoder.encodeSync(schema)

/**
 * A 200 JSON response.
 *
 * @since 0.1.0
 * @category encoding
 */
export const json = (value: unknown, headers?: Record<string, string>) =>
  HttpServerResponse.unsafeJson(value, headers ? { headers } : undefined)

/**
 * The stored `tool_resources` of a request's `tool_resources`: absent lists become empty.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toolResources = (param: ToolResourcesParam | null | undefined): ToolResources | null => {
  if (param === undefined || param === null) return null
  return {
    ...(param.codeInterpreter ? { codeInterpreter: { fileIds: param.codeInterpreter.fileIds ?? [] } } : {}),
    ...(param.fileSearch ? { fileSearch: { vectorStoreIds: param.fileSearch.vectorStoreIds ?? [] } } : {})
  }
}
