/**
 * Turns a service method's named parameters into an `Operation`: ids checked, query built, body
 * encoded through its schema. Anything wrong fails with `InvalidRequestError` before a byte is sent.
 *
 * @internal
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type AssistantsError, firstIssue, InvalidRequestError } from "../../errors/AssistantsError.js"
import type { AssistantsClient, Operation, Response } from "../../layers/AssistantsClient.js"
import { includeValue, type ListPage, type PageParams } from "../../schema/Common.js"
import * as Decoder from "../../schema/Decoder.js"

// `/ ? # %` and whitespace could change which resource the path addresses; so could `\`, which
// URL parsers read as `/` in http URLs, and control characters have no place in an id.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const forbidden = /[/?#%\\\s\u0000-\u001f\u007f]/

/**
 * Why an id may not be sent, or `undefined` when it may: it is interpolated into the path, so
 * anything that could change which resource is addressed is refused.
 *
 * @internal
 */
export const idProblem = (value: unknown): string | undefined => {
  if (typeof value !== "string") return "must be a string"
  if (value.length === 0) return "must not be empty"
  if (value.length > 512) return "must be at most 512 characters"
  if (value === "." || value === "..") return "must not be . or .."
  if (forbidden.test(value)) return "must not contain /, \\, ?, #, %, whitespace or control characters"
  return undefined
}

const invalidId = (param: string, value: unknown, problem: string) =>
  new InvalidRequestError({
    param,
    message: `${param} ${problem}${
      typeof value === "string" && value.length <= 64 ? ` (got ${JSON.stringify(value)})` : ""
    }`
  })

/** @internal */
export type Query = Array<readonly [string, string]>

/** The query of a list call, checked. */
const pageQuery = (
  params: PageParams & { readonly runId?: string | undefined },
  runFilter: boolean
): InvalidRequestError | Query => {
  const query: Query = []
  if (params.limit !== undefined) {
    if (!Number.isInteger(params.limit) || params.limit < 1 || params.limit > 100) {
      return new InvalidRequestError({ param: "limit", message: "limit must be an integer between 1 and 100" })
    }
    query.push(["limit", String(params.limit)])
  }
  if (params.order !== undefined) {
    if (params.order !== "asc" && params.order !== "desc") {
      return new InvalidRequestError({ param: "order", message: "order must be \"asc\" or \"desc\"" })
    }
    query.push(["order", params.order])
  }
  for (const key of ["after", "before"] as const) {
    const value = params[key]
    if (value === undefined) continue
    const problem = idProblem(value)
    if (problem) return invalidId(key, value, problem)
    query.push([key, value])
  }
  if (runFilter && params.runId !== undefined) {
    const problem = idProblem(params.runId)
    if (problem) return invalidId("runId", params.runId, problem)
    query.push(["run_id", params.runId])
  }
  return query
}

const includeQuery = (include: unknown, query: Query): InvalidRequestError | Query => {
  if (include === undefined) return query
  if (!Array.isArray(include)) {
    return new InvalidRequestError({ param: "include", message: `include must be an array of "${includeValue}"` })
  }
  for (const value of include) {
    if (value !== includeValue) {
      return new InvalidRequestError({ param: "include", message: `include accepts only "${includeValue}"` })
    }
    query.push(["include[]", value])
  }
  return query
}

/**
 * A body encoder built once per schema; its failures name the offending parameter.
 *
 * @internal
 */
export const bodyEncoder = <A, I>(schema: Schema.Schema<A, I>) => {
  // built on first use: importing the package should not pay for every schema's encoder
  let encode: ((a: A) => Either.Either<I, ParseResult.ParseError>) | undefined
  return (params: A): InvalidRequestError | { readonly body: I } => {
    const result = (encode ??= Schema.encodeEither(schema))(params)
    if (result._tag === "Right") return { body: result.right }
    const issue = firstIssue(result.left)
    return new InvalidRequestError({
      ...(issue.path === undefined ? {} : { param: issue.path }),
      message: `invalid ${issue.path ?? "parameters"}: ${issue.message}`
    })
  }
}

/**
 * A response decoder built once per schema.
 *
 * @internal
 */
export const decoder = <A, I>(schema: Schema.Schema<A, I>, name: string) => {
  let decode: ((u: unknown) => Effect.Effect<A, ParseResult.ParseError>) | undefined
  return {
    decode: (u: unknown) => (decode ??= Decoder.decodeUnknown(schema))(u),
    schema: name
  }
}

/**
 * How one service method maps its parameters onto the wire.
 *
 * @internal
 */
export interface Spec<P, A> {
  readonly name: string
  readonly method: "GET" | "POST" | "DELETE"
  /** The id parameters, checked in order before the path is built. */
  readonly ids: ReadonlyArray<keyof P & string>
  readonly path: (params: P) => string
  /** A list call: page parameters go to the query (and `runId` too, for messages). */
  readonly list?: "page" | "page+run"
  readonly include?: boolean
  readonly body?: (params: P) => InvalidRequestError | { readonly body: unknown }
  readonly create?: boolean
  readonly response: {
    readonly decode: (u: unknown) => Effect.Effect<A, ParseResult.ParseError>
    readonly schema: string
  }
}

/**
 * The operation for `params`, or why it may not be sent.
 *
 * @internal
 */
export const prepare = <P, A>(spec: Spec<P, A>, params: P): InvalidRequestError | Operation<A> => {
  for (const id of spec.ids) {
    const value = (params as Record<string, unknown> | undefined)?.[id]
    const problem = idProblem(value)
    if (problem) return invalidId(id, value, problem)
  }
  let urlParams: Query | undefined
  if (spec.list) {
    const query = pageQuery((params ?? {}) as PageParams, spec.list === "page+run")
    if (query instanceof InvalidRequestError) return query
    urlParams = query
  }
  if (spec.include) {
    const query = includeQuery((params as { include?: unknown }).include, urlParams ?? [])
    if (query instanceof InvalidRequestError) return query
    urlParams = query
  }
  let body: unknown
  if (spec.body) {
    const encoded = spec.body(params)
    if (encoded instanceof InvalidRequestError) return encoded
    body = encoded.body
  }
  return {
    name: spec.name,
    method: spec.method,
    path: spec.path(params),
    urlParams: urlParams !== undefined && urlParams.length > 0 ? urlParams : undefined,
    body,
    create: spec.create,
    decode: spec.response.decode,
    schema: spec.response.schema
  }
}

/**
 * A service method from its spec.
 *
 * @internal
 */
export const method =
  <P, A>(client: AssistantsClient["Type"], spec: Spec<P, A>) => (params: P): Effect.Effect<A, AssistantsError> => {
    const operation = prepare(spec, params)
    return operation instanceof InvalidRequestError ? Effect.fail(operation) : client.request(operation)
  }

/**
 * A service method that keeps the response headers.
 *
 * @internal
 */
export const methodWithHeaders =
  <P, A>(client: AssistantsClient["Type"], spec: Spec<P, A>) =>
  (params: P): Effect.Effect<Response<A>, AssistantsError> => {
    const operation = prepare(spec, params)
    return operation instanceof InvalidRequestError ? Effect.fail(operation) : client.execute(operation)
  }

/**
 * Every item of a list, paging with `after` until `has_more` is false: one page in memory at a
 * time.
 *
 * @internal
 */
export const listAll = <P extends PageParams, A extends { readonly id: string }, E, R>(
  list: (params: P) => Effect.Effect<ListPage<A>, E, R>
) =>
(params: P): Stream.Stream<A, E, R> =>
  Stream.paginateChunkEffect(
    params.after,
    (after) =>
      Effect.map(list(after === undefined ? params : { ...params, after }), (page) =>
        [
          Chunk.unsafeFromArray(page.data as Array<A>),
          page.hasMore && page.lastId !== null ? Option.some(page.lastId) : Option.none()
        ] as const)
  )
