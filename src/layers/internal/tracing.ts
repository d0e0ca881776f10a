/**
 * What the client's span of an API call records, and the trace context its request carries.
 *
 * Attribute names follow OpenTelemetry's HTTP client conventions: `http.request.method`,
 * `url.template` (the path with its ids as placeholders, so that spans group by operation and no
 * id widens a backend's index), `http.response.status_code`, `http.request.resend_count`, and the
 * request id as the captured response header `http.response.header.x-request-id`. No request
 * header is recorded, so the API key is not either.
 *
 * @internal
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as Tracer from "effect/Tracer"

/** Path segments that name a collection: the segment after one is its id. */
const collections: Record<string, string> = {
  assistants: "{assistant_id}",
  threads: "{thread_id}",
  messages: "{message_id}",
  runs: "{run_id}",
  steps: "{step_id}"
}

/**
 * The path with each id replaced by a placeholder: `/threads/{thread_id}/runs/{run_id}`. A
 * segment that follows a collection's name is its id, unless it names a collection itself
 * (`/threads/runs`).
 *
 * @internal
 */
export const template = (path: string): string => {
  const segments = path.split("/")
  let placeholder: string | undefined
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]
    const collection = Object.hasOwn(collections, segment) ? collections[segment] : undefined
    if (placeholder !== undefined && collection === undefined) {
      segments[i] = placeholder
      placeholder = undefined
    } else {
      placeholder = collection
    }
  }
  return segments.join("/")
}

/** Templates by call name: a call's name fixes the shape of its path. */
const templates = new Map<string, string>()

/**
 * The attributes a call's span starts with.
 *
 * @internal
 */
export const requestAttributes = (name: string, method: string, path: string): Record<string, unknown> => {
  let pathTemplate = templates.get(name)
  if (pathTemplate === undefined) {
    pathTemplate = template(path)
    // bounded, in case names are made per call
    if (templates.size < 1024) templates.set(name, pathTemplate)
  }
  return { "http.request.method": method, "url.template": pathTemplate }
}

/**
 * Records an answer on the call's span: the last attempt's answer stands.
 *
 * @internal
 */
export const recordResponse = (span: Tracer.Span, response: HttpClientResponse.HttpClientResponse): void => {
  span.attribute("http.response.status_code", response.status)
  const requestId = response.headers["x-request-id"]
  if (requestId !== undefined) span.attribute("http.response.header.x-request-id", requestId)
}

/**
 * The W3C `traceparent` of `span`: version 00, the trace id, the span id and the sampled flag,
 * as the platform's `HttpTraceContext.toHeaders` writes it (which also builds a `b3` header,
 * that the request does not send: the W3C header is the one tracing backends share).
 *
 * @internal
 */
export const traceparent = (span: Tracer.Span): string =>
  `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`

/**
 * The options of a call's one span: a client span named after the call, with its request's
 * attributes, and no stack trace captured (it would cost every call).
 *
 * @internal
 */
export const spanOptions = (call: { readonly name: string; readonly method: string; readonly path: string }) => ({
  kind: "client" as const,
  captureStackTrace: false,
  attributes: requestAttributes(call.name, call.method, call.path)
})
