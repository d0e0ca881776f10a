/**
 * Reading a response's body once.
 *
 * The platform's transports (`FetchHttpClient`, `NodeHttpClient.layerUndici`) let a body be read
 * many times: each accessor is an `Effect.cached` built through `Effect.runSync`, a fiber, a
 * deferred and a fiber-ref diff per response, about 50 us of a getRun call's 320 (bench/README.md).
 * The client reads every body exactly once, so where the response wraps a body it can read itself
 * (a web `Response`, or undici's `ResponseData`) and nothing has read it yet, it reads that body
 * with the same decoding the platform uses. Any other response, and any body already read (by a
 * `transformResponse` middleware, say), goes through the platform's `text`.
 *
 * @internal
 */
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"

interface Body {
  readonly bodyUsed: boolean
  text(): Promise<string>
}

const isUnread = (u: unknown): u is Body =>
  typeof u === "object" && u !== null && (u as Body).bodyUsed === false && typeof (u as Body).text === "function"

/**
 * The body of `source` that can be read directly and is unread: undici's `ResponseData` (it has a
 * `statusCode`) holds it in `body`; a web `Response` is its own body; node's `IncomingMessage`
 * has a `statusCode` and no `body`. Duck-typed: `instanceof Response` would touch that global,
 * and its first use loads Node's fetch (about 15 ms at start-up).
 */
const directBody = (source: unknown): Body | undefined => {
  if (typeof source !== "object" || source === null) return undefined
  const body = "statusCode" in source ? (source as { readonly body?: unknown }).body : source
  return isUnread(body) ? body : undefined
}

/** The body of `response` as text, read once. */
export const text = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<string, HttpClientError.ResponseError> => {
  const body = directBody((response as { readonly source?: unknown }).source)
  if (body === undefined) return response.text
  return Effect.tryPromise({
    try: () => body.text(),
    catch: (cause) =>
      new HttpClientError.ResponseError({ request: response.request, response, reason: "Decode", cause })
  })
}
