/**
 * The prepared HTTP client every service sends through: base URL, auth, headers, timeout, retry
 * policy, error mapping and one span per API call. It knows nothing of resource shapes: a service
 * hands it an {@link Operation} and gets back the decoded value.
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { dual, identity } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import {
  type AssistantsError,
  ConnectionError,
  firstIssue,
  fromStatus,
  InvalidRequestError,
  ResponseDecodeError,
  TimeoutError
} from "../errors/AssistantsError.js"
import * as AssistantsConfig from "./AssistantsConfig.js"
import * as RequestSignal from "./internal/requestSignal.js"
import * as ResponseText from "./internal/responseText.js"
import * as RetryPolicy from "./RetryPolicy.js"

/**
 * One API call, as a service describes it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Operation<A> {
  /** The span name, `Runs.create`. */
  readonly name: string
  readonly method: "GET" | "POST" | "DELETE"
  /** The path below the base URL, ids already checked. */
  readonly path: string
  readonly urlParams?: ReadonlyArray<readonly [string, string]> | undefined
  /** The encoded (wire) body. */
  readonly body?: unknown
  /** The call creates something: the no-duplicate rule applies. */
  readonly create?: boolean | undefined
  /** The decoder of a success body, built once per schema. */
  readonly decode: (u: unknown) => Effect.Effect<A, ParseResult.ParseError>
  /** The name of the schema `decode` checks, for `ResponseDecodeError`. */
  readonly schema: string
}

/** What the error helpers read of an operation: its name, method, path and schema. */
type OperationInfo = Pick<Operation<unknown>, "name" | "method" | "path" | "schema">

/**
 * A decoded value with the headers it came with.
 *
 * @since 0.1.0
 * @category models
 */
export interface Response<A> {
  readonly value: A
  readonly headers: Headers.Headers
}

/**
 * @since 0.1.0
 * @category tags
 */
export class AssistantsClient extends Context.Tag("effect-assistants/AssistantsClient")<AssistantsClient, {
  /** Sends an operation and returns its decoded value. */
  readonly request: <A>(operation: Operation<A>) => Effect.Effect<A, AssistantsError>
  /** Same, keeping the response headers (`openai-poll-after-ms`, `x-request-id`). */
  readonly execute: <A>(operation: Operation<A>) => Effect.Effect<Response<A>, AssistantsError>
}>() {}

/**
 * The per-effect overrides, read at call time.
 *
 * @since 0.1.0
 * @category fiber refs
 */
export const currentRetryPolicy: FiberRef.FiberRef<RetryPolicy.RetryPolicy | undefined> = globalValue(
  "effect-assistants/AssistantsClient/currentRetryPolicy",
  () => FiberRef.unsafeMake<RetryPolicy.RetryPolicy | undefined>(undefined)
)

/**
 * @since 0.1.0
 * @category fiber refs
 */
export const currentTimeout: FiberRef.FiberRef<Duration.Duration | undefined> = globalValue(
  "effect-assistants/AssistantsClient/currentTimeout",
  () => FiberRef.unsafeMake<Duration.Duration | undefined>(undefined)
)

/**
 * @since 0.1.0
 * @category fiber refs
 */
export const currentHeaders: FiberRef.FiberRef<Headers.Headers | undefined> = globalValue(
  "effect-assistants/AssistantsClient/currentHeaders",
  () => FiberRef.unsafeMake<Headers.Headers | undefined>(undefined)
)

/**
 * Runs `self` with another retry policy for every call it makes.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withRetry: {
  (policy: RetryPolicy.RetryPolicy): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: RetryPolicy.RetryPolicy): Effect.Effect<A, E, R>
} = /*#__PURE__*/ dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: RetryPolicy.RetryPolicy) =>
    Effect.locally(self, currentRetryPolicy, policy)
)

/**
 * Runs `self` with another per-attempt timeout for every call it makes.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withTimeout: {
  (timeout: Duration.DurationInput): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, timeout: Duration.DurationInput): Effect.Effect<A, E, R>
} = /*#__PURE__*/ dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, timeout: Duration.DurationInput) =>
    Effect.locally(self, currentTimeout, Duration.decode(timeout))
)

/**
 * Adds headers to every call `self` makes (merged over the layer's).
 *
 * @since 0.1.0
 * @category combinators
 */
export const withHeaders: {
  (headers: Headers.Input): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, headers: Headers.Input): Effect.Effect<A, E, R>
} = /*#__PURE__*/ dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, headers: Headers.Input) =>
    FiberRef.getWith(currentHeaders, (current) =>
      Effect.locally(
        self,
        currentHeaders,
        current === undefined ? Headers.fromInput(headers) : Headers.merge(current, Headers.fromInput(headers))
      ))
)

/**
 * The prefix of every JSON error envelope's fields we read.
 */
interface ErrorEnvelope {
  readonly message?: unknown
  readonly type?: unknown
  readonly code?: unknown
  readonly param?: unknown
}

const optionalString = (u: unknown): string | undefined =>
  typeof u === "string" ? u : typeof u === "number" ? String(u) : undefined

const parseEnvelope = (text: string): ErrorEnvelope => {
  try {
    const json = JSON.parse(text)
    if (json !== null && typeof json === "object") {
      const error = (json as { error?: unknown }).error
      if (error !== null && typeof error === "object") return error as ErrorEnvelope
      if (typeof error === "string") return { message: error }
    }
  } catch {
    // not JSON: the text itself is the message below
  }
  return { message: text.length > 0 ? text.slice(0, 500) : undefined }
}

const statusError = (
  operation: OperationInfo,
  response: HttpClientResponse.HttpClientResponse,
  text: string
): AssistantsError => {
  const envelope = parseEnvelope(text)
  const h = response.headers
  const retryAfterMillis = RetryPolicy.parseRetryAfter(h, Date.now())
  const shouldRetry = h["x-should-retry"]
  const status = response.status
  const outcome = status >= 500
    ? (status === 503 && retryAfterMillis !== undefined ? "rejected" : "unknown")
    : status === 408
    ? "unknown"
    : "rejected"
  return fromStatus({
    status,
    requestId: h["x-request-id"],
    method: operation.method,
    path: operation.path,
    message: optionalString(envelope.message) ?? `${operation.name} failed with status ${status}`,
    type: optionalString(envelope.type),
    code: optionalString(envelope.code),
    param: optionalString(envelope.param),
    outcome,
    shouldRetry: shouldRetry === "true" ? true : shouldRetry === "false" ? false : undefined,
    retryAfterMillis
  })
}

const refusedCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"])

/** Whether a transport failure happened before a connection existed, so nothing was sent. */
const notSent = (cause: unknown): boolean => {
  for (let c: any = cause, depth = 0; c != null && depth < 5; c = c.cause, depth++) {
    if (typeof c === "object" && typeof c.code === "string" && refusedCodes.has(c.code)) return true
    if (typeof c === "object" && Array.isArray(c.errors) && c.errors.some(notSent)) return true
  }
  return false
}

const describe = (cause: unknown): string => {
  const parts: Array<string> = []
  for (let c: any = cause, depth = 0; c != null && depth < 4; c = c.cause, depth++) {
    if (typeof c === "object" && typeof c.message === "string" && c.message !== "") parts.push(c.message)
    if (typeof c === "object" && typeof c.code === "string") parts.push(c.code)
  }
  return parts.length > 0 ? parts.join(": ") : "transport failure"
}

const transportError = (
  operation: OperationInfo,
  error: HttpClientError.HttpClientError
): AssistantsError => {
  if (error._tag === "RequestError" && (error.reason === "InvalidUrl" || error.reason === "Encode")) {
    return new InvalidRequestError({
      message: `${operation.name}: ${error.reason === "InvalidUrl" ? "invalid URL" : "cannot encode the body"}`
    })
  }
  return new ConnectionError({
    method: operation.method,
    path: operation.path,
    message: `${operation.name}: ${describe(error.cause)}`,
    outcome: error._tag === "RequestError" && notSent(error.cause) ? "not-sent" : "unknown"
  })
}

/** The decode error of a body, with the schema and the path that failed. */
const decodeError = (
  operation: OperationInfo,
  response: HttpClientResponse.HttpClientResponse,
  error: ParseResult.ParseError | SyntaxError
): ResponseDecodeError => {
  const issue = ParseResult.isParseError(error) ? firstIssue(error) : undefined
  const at = issue?.path ?? "body"
  const message = issue?.message ?? error.message
  return new ResponseDecodeError({
    status: response.status,
    requestId: response.headers["x-request-id"],
    method: operation.method,
    path: operation.path,
    reason: issue ? "schema-mismatch" : "invalid-json",
    schema: operation.schema,
    at,
    message: issue
      ? `${operation.schema} at ${at}: ${message}`
      : `the body of ${operation.name} is not JSON (${
        response.headers["content-type"] ?? "no content type"
      }): ${message}`,
    outcome: "unknown"
  })
}

const withResponseHeaders = <A>(value: A, response: HttpClientResponse.HttpClientResponse): Response<A> => ({
  value,
  headers: response.headers
})

/** The class of the default live clock: its timers are plain timers, so a cheap deadline works. */
const LiveClock = Clock.make().constructor

/**
 * Fails with `onTimeout()` when `attempt` has not finished within `limit`.
 *
 * Under the live clock the request is aborted through the `AbortSignal` the platform hands its
 * transport (every `@effect/platform` transport, undici and `NodeTransport` honour it), from a
 * controller of our own (`RequestSignal`): a timer and no extra fiber, where `Effect.timeoutFail`
 * forks two and costs about 100 us per call. Under any other clock (a `TestClock`), or where the
 * platform cannot take our controller, the standard combinator keeps the usual semantics.
 */
const withDeadline = <A, E, E2>(
  attempt: Effect.Effect<A, E>,
  limit: Duration.Duration,
  onTimeout: () => E2
): Effect.Effect<A, E | E2> =>
  Effect.clockWith((clock) => {
    if (!RequestSignal.available() || (Duration.isFinite(limit) && !(clock instanceof LiveClock))) {
      return Duration.isFinite(limit) ? Effect.timeoutFail(attempt, { duration: limit, onTimeout }) : attempt
    }
    // with no deadline too: the response is then the transport's own, so its body is read
    // directly, and no finalization registry aborts each request once it is collected
    const controller = new AbortController()
    let timedOut = false
    // a timer waits at most 2^31 - 1 ms (24.8 days) and fires at once past that: a longer deadline
    // is as good as none for one HTTP attempt
    const millis = Duration.toMillis(limit)
    const timer = millis <= 2147483647
      ? setTimeout(() => {
        timedOut = true
        controller.abort()
      }, millis)
      : undefined
    // uninterruptible around the outcome so that an interruption, too, clears the timer and aborts
    return Effect.uninterruptibleMask((restore) =>
      Effect.matchCauseEffect(Effect.locally(restore(attempt), RequestSignal.currentController, controller), {
        onSuccess: (a) => {
          clearTimeout(timer)
          return Effect.succeed(a)
        },
        onFailure: (cause): Effect.Effect<never, E | E2> => {
          clearTimeout(timer)
          if (Cause.isInterrupted(cause)) controller.abort()
          return timedOut && Cause.isFailType(cause) ? Effect.fail(onTimeout()) : Effect.failCause(cause)
        }
      })
    )
  })

/**
 * Builds the client from an `HttpClient` and options.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: AssistantsConfig.Options = {}) =>
  Effect.gen(function*() {
    // The platform's own per-attempt span is off: each API call gets one span of ours instead
    // (PERFORMANCE.md: a span costs tens of microseconds per call).
    const http = RequestSignal.attaching(HttpClient.withTracerDisabledWhen(yield* HttpClient.HttpClient, () => true))
    const baseUrl = (options.baseUrl ?? AssistantsConfig.defaultBaseUrl).replace(/\/+$/, "")
    const authHeader = (options.authHeader ?? "authorization").toLowerCase()
    const baseHeaders: Record<string, string> = {
      "openai-beta": "assistants=v2",
      accept: "application/json"
    }
    if (options.apiKey !== undefined) {
      const key = Redacted.value(options.apiKey)
      baseHeaders[authHeader] = authHeader === "authorization" ? `Bearer ${key}` : key
    }
    if (options.organization !== undefined) baseHeaders["openai-organization"] = options.organization
    if (options.project !== undefined) baseHeaders["openai-project"] = options.project
    const headers = Headers.merge(Headers.fromInput(baseHeaders), Headers.fromInput(options.headers ?? {}))
    const extraParams = Object.entries(options.urlParams ?? {})
    const timeout = Duration.decode(options.timeout ?? "10 minutes")
    const basePolicy = options.retry ?? RetryPolicy.defaultPolicy
    const retryCreates = options.retryCreates ?? false
    const maxRetryAfterMillis = Duration.toMillis(options.maxRetryAfter ?? "60 seconds")
    const redactedNames = authHeader === "authorization" ? undefined : authHeader

    const attempt = <A, B>(
      operation: Operation<A>,
      request: HttpClientRequest.HttpClientRequest,
      result: (value: A, response: HttpClientResponse.HttpClientResponse) => B
    ): Effect.Effect<B, AssistantsError> =>
      Effect.matchEffect(http.execute(request), {
        onFailure: (e) => Effect.fail(transportError(operation, e)),
        onSuccess: (response) =>
          Effect.matchEffect(ResponseText.text(response), {
            onFailure: (e) => Effect.fail(transportError(operation, e)),
            onSuccess: (text): Effect.Effect<B, AssistantsError> => {
              if (response.status < 200 || response.status >= 300) {
                return Effect.fail(statusError(operation, response, text))
              }
              let json: unknown
              try {
                json = JSON.parse(text)
              } catch (e) {
                return Effect.fail(decodeError(operation, response, e as SyntaxError))
              }
              return Effect.mapBoth(operation.decode(json), {
                onFailure: (e) => decodeError(operation, response, e),
                onSuccess: (value) => result(value, response)
              })
            }
          })
      })

    /** One call; `result` builds what it returns, so a call that drops the headers never reads them. */
    const send = <A, B>(
      operation: Operation<A>,
      result: (value: A, response: HttpClientResponse.HttpClientResponse) => B
    ): Effect.Effect<B, AssistantsError> =>
      Effect.withFiberRuntime((fiber) => {
        const extraHeaders = fiber.getFiberRef(currentHeaders)
        const params = operation.urlParams === undefined
          ? extraParams
          : extraParams.length === 0
          ? operation.urlParams
          : [...operation.urlParams, ...extraParams]
        const request = HttpClientRequest.make(operation.method)(baseUrl + operation.path, {
          headers: extraHeaders === undefined ? headers : Headers.merge(headers, extraHeaders),
          urlParams: params,
          body: operation.body === undefined
            ? undefined
            : HttpBody.text(JSON.stringify(operation.body), "application/json")
        } as HttpClientRequest.Options.NoUrl)
        const limit = fiber.getFiberRef(currentTimeout) ?? timeout
        const once = withDeadline(attempt(operation, request, result), limit, () =>
          new TimeoutError({
            method: operation.method,
            path: operation.path,
            message: `${operation.name} timed out after ${Duration.format(limit)}`,
            timeoutMillis: Duration.toMillis(limit),
            outcome: "unknown"
          }))
        // The retry schedule is built only once an attempt has failed: most calls never need it.
        let effect = Effect.catchAll(once, (first) => {
          const rules: RetryPolicy.Rules = { create: operation.create === true, retryCreates, maxRetryAfterMillis }
          if (!RetryPolicy.isRetryable(first, rules)) return Effect.fail(first)
          const policy = RetryPolicy.honourServerDelay(fiber.getFiberRef(currentRetryPolicy) ?? basePolicy)
          let replay = true
          // the first failure is replayed so that the schedule counts it and waits before retrying
          const again = Effect.suspend(() => {
            if (!replay) return once
            replay = false
            return Effect.fail(first)
          })
          return Effect.retry(again, { schedule: policy, while: (e) => RetryPolicy.isRetryable(e, rules) })
        })
        if (redactedNames !== undefined) {
          effect = Effect.locally(effect, Headers.currentRedactedNames, [
            ...fiber.getFiberRef(Headers.currentRedactedNames),
            redactedNames
          ])
        }
        // nothing runs under this span but our own code, so it needs no parent-span plumbing
        return Effect.useSpan(operation.name, {
          kind: "client",
          captureStackTrace: false,
          attributes: { "http.request.method": operation.method, "url.path": operation.path }
        }, () => effect)
      })

    return AssistantsClient.of({
      execute: (operation) => send(operation, withResponseHeaders),
      request: (operation) => send(operation, identity)
    })
  })

/**
 * The client over an `HttpClient`, configured by `options`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: AssistantsConfig.Options = {}
): Layer.Layer<AssistantsClient, never, HttpClient.HttpClient> => Layer.effect(AssistantsClient, make(options))

/**
 * The client configured from `OPENAI_*` variables through `Config`; `overrides` win.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  overrides: AssistantsConfig.Options = {}
) =>
  Layer.effect(
    AssistantsClient,
    Effect.flatMap(AssistantsConfig.fromEnv(), (env) => make({ ...env, ...definedOnly(overrides) }))
  )

const definedOnly = (options: AssistantsConfig.Options): AssistantsConfig.Options =>
  Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
