/**
 * The prepared HTTP client every service sends through: base URL, auth, headers, timeout, retry
 * policy, error mapping and one span per API call. It knows nothing of resource shapes: a service
 * hands it an {@link Operation} and gets back the decoded value.
 *
 * Each call's span is a child of the caller's span, named after the call (`Runs.create`), and the
 * request carries its trace context (`traceparent`): the platform's own per-request span is
 * switched off, so that a call costs one span, not two. A user who turns the tracer off
 * (`Effect.withTracerEnabled(false)`) gets no span; one who turns propagation off
 * (`HttpClient.currentTracerPropagation`) gets the span without the header. Each attempt is aborted through its
 * transport's `AbortSignal` when it fails, is interrupted, or outlives its timeout.
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { constTrue, dual, identity } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as Layer from "effect/Layer"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
import { type AssistantsError, TimeoutError } from "../errors/AssistantsError.js"
import * as AssistantsConfig from "./AssistantsConfig.js"
import * as deadline from "./internal/deadline.js"
import { decodeError, statusError, transportError } from "./internal/errors.js"
import { retrying } from "./internal/retry.js"
import * as Tracing from "./internal/tracing.js"
import * as RetryPolicy from "./RetryPolicy.js"

/**
 * One API call, as a service describes it, before any decoding: what {@link AssistantsClient}'s
 * `stream` takes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Call {
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
}

/**
 * One API call whose JSON answer is decoded.
 *
 * @since 0.1.0
 * @category models
 */
export interface Operation<A> extends Call {
  /** The decoder of a success body, built once per schema. */
  readonly decode: (u: unknown) => Effect.Effect<A, ParseResult.ParseError>
  /** The name of the schema `decode` checks, for `ResponseDecodeError`. */
  readonly schema: string
}

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
  /**
   * Sends a call whose answer is read as it arrives (a stream of server-sent events), and returns
   * the response as soon as its headers are in, its body unread. Everything else is as `execute`:
   * the same request (with `accept: text/event-stream`), span, retry rules (a streamed create is
   * a create: retried only when the server cannot have acted on it) and errors (a non-2xx answer
   * is read whole and fails as its tagged error). The timeout covers the wait for the headers
   * only. The request lives as long as the `Scope`: closing it, or interrupting the call, aborts
   * the request at once; the call's span ends with the scope too.
   */
  readonly stream: (call: Call) => Effect.Effect<HttpClientResponse.HttpClientResponse, AssistantsError, Scope.Scope>
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
 * Builds the client from an `HttpClient` and options.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: AssistantsConfig.Options = {}) =>
  Effect.gen(function*() {
    // Each attempt's request is tied to a scope of its own (see internal/deadline.ts). The
    // platform's per-request span is off for our requests (`locals`): each call has one span of
    // ours, whose trace context the request carries (see `prepare`).
    const http = HttpClient.withScope(yield* HttpClient.HttpClient)
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
    const streamHeaders = Headers.fromInput({ accept: "text/event-stream" })
    const extraParams = Object.entries(options.urlParams ?? {})
    const timeout = Duration.decode(options.timeout ?? "10 minutes")
    const basePolicy = options.retry ?? RetryPolicy.defaultPolicy
    const retryCreates = options.retryCreates ?? false
    const maxRetryAfterMillis = Duration.toMillis(options.maxRetryAfter ?? "60 seconds")
    // `authorization` is redacted by default; a custom auth header is added where a request's
    // headers are shown (the platform's span, if a user turns it back on; logs; inspection)
    const redactedName = authHeader === "authorization" ? undefined : authHeader

    /** The request of `call`, carrying the trace context of `span` unless propagation is off. */
    const prepare = (
      call: Call,
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      span: Tracer.Span | undefined,
      extra: Headers.Headers | undefined
    ): HttpClientRequest.HttpClientRequest => {
      const overrides = fiber.getFiberRef(currentHeaders)
      let merged = overrides === undefined ? headers : Headers.merge(headers, overrides)
      if (extra !== undefined) merged = Headers.merge(merged, extra)
      if (span !== undefined && fiber.getFiberRef(HttpClient.currentTracerPropagation)) {
        merged = Headers.set(merged, "traceparent", Tracing.traceparent(span))
      }
      const params = call.urlParams === undefined
        ? extraParams
        : extraParams.length === 0
        ? call.urlParams
        : [...call.urlParams, ...extraParams]
      return HttpClientRequest.make(call.method)(
        baseUrl + call.path,
        call.body === undefined
          ? { headers: merged, urlParams: params }
          : { headers: merged, urlParams: params, body: HttpBody.text(JSON.stringify(call.body), "application/json") }
      )
    }

    /** `once` under the retry rules of `call` and the policy in effect on `fiber`. */
    const withRetries = <A>(
      call: Call,
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      span: Tracer.Span | undefined,
      once: Effect.Effect<A, AssistantsError>
    ): Effect.Effect<A, AssistantsError> =>
      retrying(
        once,
        () => ({ create: call.create === true, retryCreates, maxRetryAfterMillis }),
        () => fiber.getFiberRef(currentRetryPolicy) ?? basePolicy,
        span === undefined ? undefined : (count) => span.attribute("http.request.resend_count", count)
      )

    /**
     * The fiber refs each attempt runs with: the platform's own request span off (ours is the
     * call's one span), and a custom auth header among the names the platform redacts.
     */
    const platformOff: deadline.Locals = [[HttpClient.currentTracerDisabledWhen, constTrue]]
    const localsOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): deadline.Locals =>
      redactedName === undefined ? platformOff : [
        ...platformOff,
        [Headers.currentRedactedNames, [...fiber.getFiberRef(Headers.currentRedactedNames), redactedName]]
      ]

    const timeoutError = (call: Call, limit: Duration.Duration) => () =>
      new TimeoutError({
        method: call.method,
        path: call.path,
        message: `${call.name} timed out after ${Duration.format(limit)}`,
        timeoutMillis: Duration.toMillis(limit),
        outcome: "unknown"
      })

    /** One attempt: send, read the whole body, map a failure or decode. */
    const attempt = <A, B>(
      operation: Operation<A>,
      request: HttpClientRequest.HttpClientRequest,
      span: Tracer.Span | undefined,
      result: (value: A, response: HttpClientResponse.HttpClientResponse) => B
    ): Effect.Effect<B, AssistantsError, Scope.Scope> =>
      Effect.matchEffect(http.execute(request), {
        onFailure: (e) => Effect.fail(transportError(operation, e)),
        onSuccess: (response) => {
          if (span !== undefined) Tracing.recordResponse(span, response)
          return Effect.matchEffect(response.text, {
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
        }
      })

    /** One call; `result` builds what it returns, so a call that drops the headers never reads them. */
    const send = <A, B>(
      operation: Operation<A>,
      result: (value: A, response: HttpClientResponse.HttpClientResponse) => B
    ): Effect.Effect<B, AssistantsError> =>
      Effect.withFiberRuntime((fiber) => {
        const limit = fiber.getFiberRef(currentTimeout) ?? timeout
        const run = (span: Tracer.Span | undefined) =>
          withRetries(
            operation,
            fiber,
            span,
            deadline.withDeadline(
              attempt(operation, prepare(operation, fiber, span, undefined), span, result),
              limit,
              timeoutError(operation, limit),
              undefined,
              localsOf(fiber)
            )
          )
        // with the tracer off there is no span to make, nor a context to send
        if (!fiber.getFiberRef(FiberRef.currentTracerEnabled)) return run(undefined)
        // only our own code runs under the span: no need to make it the parent of anything
        return Effect.useSpan(operation.name, Tracing.spanOptions(operation), run)
      })

    /** One attempt of a streamed call: send and return the response once its headers are in. */
    const attemptStream = (
      call: Call,
      request: HttpClientRequest.HttpClientRequest,
      span: Tracer.Span | undefined
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, AssistantsError, Scope.Scope> =>
      Effect.matchEffect(http.execute(request), {
        onFailure: (e) => Effect.fail(transportError(call, e)),
        onSuccess: (response) => {
          if (span !== undefined) Tracing.recordResponse(span, response)
          if (response.status >= 200 && response.status < 300) return Effect.succeed(response)
          return Effect.matchEffect(response.text, {
            onFailure: (e) => Effect.fail(transportError(call, e)),
            onSuccess: (text) => Effect.fail(statusError(call, response, text))
          })
        }
      })

    const stream = (
      call: Call
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, AssistantsError, Scope.Scope> =>
      Effect.flatMap(Effect.scope, (scope) =>
        Effect.withFiberRuntime((fiber) => {
          const limit = fiber.getFiberRef(currentTimeout) ?? timeout
          const run = (span: Tracer.Span | undefined) =>
            withRetries(
              call,
              fiber,
              span,
              deadline.withDeadline(
                attemptStream(call, prepare(call, fiber, span, streamHeaders), span),
                limit,
                timeoutError(call, limit),
                scope,
                localsOf(fiber)
              )
            )
          if (!fiber.getFiberRef(FiberRef.currentTracerEnabled)) return run(undefined)
          return Effect.flatMap(Effect.makeSpanScoped(call.name, Tracing.spanOptions(call)), run)
        }))

    return AssistantsClient.of({
      execute: (operation) => send(operation, withResponseHeaders),
      request: (operation) => send(operation, identity),
      stream
    })
  })

const withResponseHeaders = <A>(value: A, response: HttpClientResponse.HttpClientResponse): Response<A> => ({
  value,
  headers: response.headers
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
