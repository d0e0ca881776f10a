/**
 * What wraps every route: credentials, the `OpenAI-Beta: assistants=v2` header, the API's error
 * envelope for every failure (unknown routes and defects included), and `x-request-id` on every
 * response.
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { ApiError, invalid } from "../ApiError.js"
import * as Ids from "../Ids.js"
import * as Limits from "../Limits.js"
import { databaseFailed, type StoreError } from "../Store.js"

/**
 * What every request is checked against.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Accepted bearer tokens (or `api-key` header values). Empty: any token, or none, is accepted. */
  readonly apiKeys?: ReadonlyArray<string> | undefined
  /** What a request may carry (see `Limits`); each one absent keeps its default. */
  readonly limits?: Partial<Limits.Limits> | undefined
  /** Injected faults (see `Faults`); off when absent. */
  readonly faults?: { readonly middleware: <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R> } | undefined
}

/**
 * The response of an error: its status and the envelope `{"error":{...}}`.
 *
 * @since 0.1.0
 * @category errors
 */
export const errorResponse = (error: ApiError) => HttpServerResponse.unsafeJson(error.body, { status: error.status })

const bearer = (header: string | undefined) => {
  if (header === undefined) return undefined
  const match = /^bearer\s+(.+)$/i.exec(header.trim())
  return match ? match[1].trim() : undefined
}

const missingKey = new ApiError({
  status: 401,
  message:
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
  type: "invalid_request_error",
  param: null,
  code: null
})

const wrongKey = new ApiError({
  status: 401,
  message: "Incorrect API key provided.",
  type: "invalid_request_error",
  param: null,
  code: "invalid_api_key"
})

const digest = (key: string) => createHash("sha256").update(key, "utf8").digest()

/**
 * Whether `token` is one of `keys`, in time that does not depend on where a guess goes wrong: the
 * sha256 digests (of one length whatever the key's) are compared with `timingSafeEqual`, against
 * every key without stopping at a match.
 *
 * @since 0.1.0
 * @category checks
 */
export const keyMatcher = (keys: ReadonlyArray<string>) => {
  const digests = keys.map(digest)
  return (token: string): boolean => {
    const given = digest(token)
    let found = false
    for (const d of digests) found = timingSafeEqual(d, given) || found
    return found
  }
}

/**
 * Refuses a request without one of `keys` (none configured: every request passes).
 *
 * @since 0.1.0
 * @category checks
 */
export const checkCredentials = (keys: ReadonlyArray<string>) => {
  const matches = keyMatcher(keys)
  return (request: HttpServerRequest.HttpServerRequest): Effect.Effect<void, ApiError> => {
    if (keys.length === 0) return Effect.void
    const token = bearer(request.headers["authorization"]) ?? request.headers["api-key"]
    if (token === undefined) return Effect.fail(missingKey)
    if (!matches(token)) return Effect.fail(wrongKey)
    return Effect.void
  }
}

/**
 * Refuses a request without `OpenAI-Beta: assistants=v2`, as the API did.
 *
 * @since 0.1.0
 * @category checks
 */
export const checkBeta = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<void, ApiError> => {
  const beta = (request.headers["openai-beta"] ?? "").split(",").map((s) => s.trim())
  if (beta.includes("assistants=v2")) return Effect.void
  return Effect.fail(invalid(
    beta.includes("assistants=v1")
      ? "The v1 Assistants API has been deprecated. Please try again by setting the header 'OpenAI-Beta: assistants=v2'."
      : "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by setting the header 'OpenAI-Beta: assistants=v2'.",
    null,
    "invalid_beta"
  ))
}

const serverError = new ApiError({
  status: 500,
  message: "The server had an error while processing your request.",
  type: "server_error",
  param: null,
  code: null
})

/**
 * The answer to a request the database failed: a 500 `server_error` that says so.
 *
 * @since 0.1.0
 * @category errors
 */
export const databaseError = (error: StoreError) =>
  new ApiError({
    status: 500,
    message: databaseFailed(error),
    type: "server_error",
    param: null,
    code: null
  })

/**
 * Wraps the routes with the checks and the error envelope.
 *
 * @since 0.1.0
 * @category middleware
 */
export const make = (options: Options = {}) => {
  const credentials = checkCredentials(options.apiKeys ?? [])
  const limits: Limits.Limits = { ...Limits.defaults, ...options.limits }
  return <R>(routes: HttpApp.Default<ApiError | StoreError | HttpServerError.RouteNotFound, R>) => {
    // faults act where the API would: after the credentials and the beta header were accepted
    const handler = options.faults ? options.faults.middleware(routes) : routes
    return Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const requestId = Ids.make("req")
      const response = yield* Effect.gen(function*() {
        yield* credentials(request)
        yield* checkBeta(request)
        return yield* handler
      }).pipe(
        Effect.provideService(Limits.CurrentLimits, limits),
        Effect.catchTags({
          ApiError: (e: ApiError) => Effect.succeed(errorResponse(e)),
          // the database failed (full, read-only, unreachable): the request fails, the server goes on
          StoreError: (e: StoreError) =>
            Effect.as(Effect.logError("the database failed", e), errorResponse(databaseError(e))),
          RouteNotFound: () =>
            Effect.succeed(errorResponse(
              new ApiError({
                status: 404,
                message: `Invalid URL (${request.method} ${request.url.split("?")[0]})`,
                type: "invalid_request_error",
                param: null,
                code: null
              })
            ))
        }),
        Effect.catchAllCause((cause) =>
          // a client that went away (or a fault that closed the connection) is not a server error
          Cause.isInterruptedOnly(cause)
            ? Effect.failCause(cause)
            : Effect.as(Effect.logError("request failed", cause), errorResponse(serverError))
        )
      )
      return HttpServerResponse.setHeader(response, "x-request-id", requestId)
    })
  }
}
