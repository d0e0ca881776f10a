/**
 * From what went wrong on the wire to the tagged errors users match on: a non-2xx answer (its
 * JSON envelope read where there is one), a transport failure, a body that does not decode.
 *
 * @internal
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as ParseResult from "effect/ParseResult"
import {
  type AssistantsError,
  ConnectionError,
  firstIssue,
  fromStatus,
  InvalidRequestError,
  ResponseDecodeError
} from "../../errors/AssistantsError.js"
import * as RetryPolicy from "../RetryPolicy.js"

/**
 * What the error mapping reads of a call.
 *
 * @internal
 */
export interface CallInfo {
  readonly name: string
  readonly method: string
  readonly path: string
}

/** The fields of a JSON error envelope that are read. */
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

/**
 * The error of a non-2xx answer, from its status, headers and body text.
 *
 * @internal
 */
export const statusError = (
  call: CallInfo,
  response: HttpClientResponse.HttpClientResponse,
  text: string
): AssistantsError => {
  const envelope = parseEnvelope(text)
  const h = response.headers
  const retryAfterMillis = RetryPolicy.parseRetryAfter(h, Date.now())
  const shouldRetry = h["x-should-retry"]
  const status = response.status
  // a 503 that names a delay is the server refusing work it has not started
  const outcome = status >= 500
    ? (status === 503 && retryAfterMillis !== undefined ? "rejected" : "unknown")
    : status === 408
    ? "unknown"
    : "rejected"
  return fromStatus({
    status,
    requestId: h["x-request-id"],
    method: call.method,
    path: call.path,
    message: optionalString(envelope.message) ?? `${call.name} failed with status ${status}`,
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

/**
 * The error of a failed send or body read: a request that could not be built is refused; a
 * connection that was never made was not sent; anything else may have reached the server.
 *
 * @internal
 */
export const transportError = (call: CallInfo, error: HttpClientError.HttpClientError): AssistantsError => {
  if (error._tag === "RequestError" && (error.reason === "InvalidUrl" || error.reason === "Encode")) {
    return new InvalidRequestError({
      message: `${call.name}: ${error.reason === "InvalidUrl" ? "invalid URL" : "cannot encode the body"}`
    })
  }
  return new ConnectionError({
    method: call.method,
    path: call.path,
    message: `${call.name}: ${describe(error.cause)}`,
    outcome: error._tag === "RequestError" && notSent(error.cause) ? "not-sent" : "unknown"
  })
}

/**
 * The error of a 2xx body that is not JSON, or not of the expected schema, with the path that
 * failed.
 *
 * @internal
 */
export const decodeError = (
  call: CallInfo & { readonly schema: string },
  response: HttpClientResponse.HttpClientResponse,
  error: ParseResult.ParseError | SyntaxError
): ResponseDecodeError => {
  const issue = ParseResult.isParseError(error) ? firstIssue(error) : undefined
  const at = issue?.path ?? "body"
  const message = issue?.message ?? error.message
  return new ResponseDecodeError({
    status: response.status,
    requestId: response.headers["x-request-id"],
    method: call.method,
    path: call.path,
    reason: issue ? "schema-mismatch" : "invalid-json",
    schema: call.schema,
    at,
    message: issue
      ? `${call.schema} at ${at}: ${message}`
      : `the body of ${call.name} is not JSON (${response.headers["content-type"] ?? "no content type"}): ${message}`,
    outcome: "unknown"
  })
}
