/**
 * Every failure a caller can see, as tagged classes to match with `Effect.catchTags`.
 *
 * None of these carries request headers, so the API key cannot reach an error, its `toString`, its
 * JSON form or a log line.
 *
 * Each class is marked pure, and so is any call among its fields (else the bundler keeps the class
 * for that call's sake), so that a bundle drops the classes its program never reaches: a program
 * that only reads runs has no use for the errors of a run's outcome.
 *
 * @since 0.1.0
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { withDefault } from "../schema/Common.js"

/**
 * Whether a failed request may have had its effect on the server:
 * - `not-sent`: no byte reached the server (rejected locally, connection refused);
 * - `rejected`: the server answered and did not act (4xx);
 * - `unknown`: the server may have acted (5xx, connection lost, timeout). Look the object up
 *   before creating it again.
 *
 * @since 0.1.0
 * @category models
 */
export const Outcome = Schema.Literal("not-sent", "rejected", "unknown")

/**
 * @since 0.1.0
 * @category models
 */
export type Outcome = typeof Outcome.Type

// one struct for the nine classes: each would otherwise build (and check) its own from the fields
const statusFields = Schema.Struct({
  status: Schema.Number,
  requestId: Schema.optional(Schema.String),
  method: Schema.String,
  path: Schema.String,
  message: Schema.String,
  type: Schema.optional(Schema.String),
  code: Schema.optional(Schema.String),
  param: Schema.optional(Schema.String),
  outcome: Outcome,
  /** Whether the server said to retry (`x-should-retry`), when it said. */
  shouldRetry: Schema.optional(Schema.Boolean),
  /** The delay the server asked for (`retry-after-ms` or `retry-after`), in milliseconds. */
  retryAfterMillis: Schema.optional(Schema.Number)
})

/**
 * 400: the server rejected the request as malformed; `param` names the offending field.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadRequestError
  extends /* @__PURE__ */ Schema.TaggedError<BadRequestError>()("BadRequestError", statusFields)
{}

/**
 * 401: missing or wrong credentials.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthenticationError
  extends /* @__PURE__ */ Schema.TaggedError<AuthenticationError>()("AuthenticationError", statusFields)
{}

/**
 * 403.
 *
 * @since 0.1.0
 * @category errors
 */
export class PermissionDeniedError
  extends /* @__PURE__ */ Schema.TaggedError<PermissionDeniedError>()("PermissionDeniedError", statusFields)
{}

/**
 * 404: no object with that id.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFoundError extends /* @__PURE__ */ Schema.TaggedError<NotFoundError>()("NotFoundError", statusFields) {}

/**
 * 409: the object is in a state that does not allow the call (a run already finishing).
 *
 * @since 0.1.0
 * @category errors
 */
export class ConflictError extends /* @__PURE__ */ Schema.TaggedError<ConflictError>()("ConflictError", statusFields) {}

/**
 * 422.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnprocessableEntityError
  extends /* @__PURE__ */ Schema.TaggedError<UnprocessableEntityError>()("UnprocessableEntityError", statusFields)
{}

/**
 * 429: slow down. `retryAfterMillis` carries the server's delay; a delay above the client's cap is
 * not slept through but reported here.
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimitError
  extends /* @__PURE__ */ Schema.TaggedError<RateLimitError>()("RateLimitError", statusFields)
{}

/**
 * 5xx.
 *
 * @since 0.1.0
 * @category errors
 */
export class InternalServerError
  extends /* @__PURE__ */ Schema.TaggedError<InternalServerError>()("InternalServerError", statusFields)
{}

/**
 * Any other status that is not a success.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnexpectedStatusError
  extends /* @__PURE__ */ Schema.TaggedError<UnexpectedStatusError>()("UnexpectedStatusError", statusFields)
{}

/**
 * The request could not be delivered or its answer not read (refused, reset, closed early).
 *
 * A streamed run whose connection broke after the server announced the run carries its id in
 * `runId`: the run goes on without the stream, so the caller can follow it by polling
 * (`Runs.get`, `Runs.watch`) instead of starting another.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionError extends /* @__PURE__ */ Schema.TaggedError<ConnectionError>()("ConnectionError", {
  method: Schema.String,
  path: Schema.String,
  message: Schema.String,
  outcome: Outcome,
  runId: /* @__PURE__ */ Schema.optional(Schema.String)
}) {}

/**
 * The server sent an `error` event in the middle of a streamed run: it failed while streaming.
 * What happened to the run is not known (`outcome: "unknown"`); look it up before starting
 * another. `runId` is set when the stream had announced the run.
 *
 * @since 0.1.0
 * @category errors
 */
export class StreamError extends /* @__PURE__ */ Schema.TaggedError<StreamError>()("StreamError", {
  message: Schema.String,
  code: /* @__PURE__ */ Schema.optional(Schema.String),
  type: /* @__PURE__ */ Schema.optional(Schema.String),
  param: /* @__PURE__ */ Schema.optional(Schema.String),
  outcome: /* @__PURE__ */ Schema.Literal("unknown"),
  runId: /* @__PURE__ */ Schema.optional(Schema.String)
}) {}

/**
 * The request, or a deadline around several, took longer than allowed.
 *
 * @since 0.1.0
 * @category errors
 */
export class TimeoutError extends /* @__PURE__ */ Schema.TaggedError<TimeoutError>()("TimeoutError", {
  method: Schema.optional(Schema.String),
  path: Schema.optional(Schema.String),
  message: Schema.String,
  timeoutMillis: Schema.Number,
  outcome: Outcome
}) {}

/**
 * A response arrived but its body could not be used: `reason` says whether it was not JSON at
 * all (`invalid-json`: a proxy page, a corrupted body; retried for reads) or JSON that did not
 * match (`schema-mismatch`: `schema` names what was expected and `at` where it failed). A 2xx
 * answer means the server acted, so a create that fails this way has `outcome: "unknown"`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ResponseDecodeError
  extends /* @__PURE__ */ Schema.TaggedError<ResponseDecodeError>()("ResponseDecodeError", {
    status: Schema.Number,
    requestId: Schema.optional(Schema.String),
    method: Schema.String,
    path: Schema.String,
    reason: Schema.Literal("invalid-json", "schema-mismatch"),
    schema: Schema.String,
    at: Schema.String,
    message: Schema.String,
    outcome: Outcome
  })
{}

/**
 * Rejected before sending: a bad id or parameter. No byte left the process; `param` names the
 * offending parameter.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRequestError
  extends /* @__PURE__ */ Schema.TaggedError<InvalidRequestError>()("InvalidRequestError", {
    message: Schema.String,
    param: Schema.optional(Schema.String),
    outcome: withDefault(Outcome, () => "not-sent" as const)
  })
{}

/**
 * A run the caller waited on ended `failed`.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunFailedError extends /* @__PURE__ */ Schema.TaggedError<RunFailedError>()("RunFailedError", {
  runId: Schema.String,
  threadId: Schema.String,
  lastError: /* @__PURE__ */ Schema.NullOr(
    /* @__PURE__ */ Schema.Struct({ code: Schema.String, message: Schema.String })
  ),
  message: Schema.String
}) {}

/**
 * A run the caller waited on ended `cancelled`.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunCancelledError extends /* @__PURE__ */ Schema.TaggedError<RunCancelledError>()("RunCancelledError", {
  runId: Schema.String,
  threadId: Schema.String,
  message: Schema.String
}) {}

/**
 * A run the caller waited on ended `expired`.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunExpiredError extends /* @__PURE__ */ Schema.TaggedError<RunExpiredError>()("RunExpiredError", {
  runId: Schema.String,
  threadId: Schema.String,
  message: Schema.String
}) {}

/**
 * A run the caller waited on ended `incomplete`.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunIncompleteError extends /* @__PURE__ */ Schema.TaggedError<RunIncompleteError>()("RunIncompleteError", {
  runId: Schema.String,
  threadId: Schema.String,
  reason: /* @__PURE__ */ Schema.optional(Schema.String),
  message: Schema.String
}) {}

/**
 * A tool loop asked for more rounds of tool calls than allowed; the run was cancelled.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolRoundsExceededError
  extends /* @__PURE__ */ Schema.TaggedError<ToolRoundsExceededError>()("ToolRoundsExceededError", {
    runId: Schema.String,
    threadId: Schema.String,
    maxRounds: Schema.Number,
    message: Schema.String
  })
{}

/**
 * An error the server answered with a status.
 *
 * @since 0.1.0
 * @category models
 */
export type StatusError =
  | BadRequestError
  | AuthenticationError
  | PermissionDeniedError
  | NotFoundError
  | ConflictError
  | UnprocessableEntityError
  | RateLimitError
  | InternalServerError
  | UnexpectedStatusError

/**
 * Every error an API call can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type AssistantsError =
  | StatusError
  | ConnectionError
  | TimeoutError
  | ResponseDecodeError
  | InvalidRequestError
  | StreamError

/**
 * The errors of the helpers that promise a completed run.
 *
 * @since 0.1.0
 * @category models
 */
export type RunOutcomeError = RunFailedError | RunCancelledError | RunExpiredError | RunIncompleteError

/**
 * The fields a status error is built from.
 *
 * @since 0.1.0
 * @category models
 */
export type StatusErrorFields = ConstructorParameters<typeof BadRequestError>[0]

/**
 * The error class for an HTTP status.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromStatus = (fields: StatusErrorFields): StatusError => {
  switch (fields.status) {
    case 400:
      return new BadRequestError(fields)
    case 401:
      return new AuthenticationError(fields)
    case 403:
      return new PermissionDeniedError(fields)
    case 404:
      return new NotFoundError(fields)
    case 409:
      return new ConflictError(fields)
    case 422:
      return new UnprocessableEntityError(fields)
    case 429:
      return new RateLimitError(fields)
    default:
      return fields.status >= 500 ? new InternalServerError(fields) : new UnexpectedStatusError(fields)
  }
}

/**
 * What failed first in a `ParseError`: where (`path` dotted, `undefined` at the root), why, and the
 * issue's kind. The client's `InvalidRequestError` and `ResponseDecodeError` and the server's 400
 * `param` are all read from it, so both sides name a bad field the same way.
 *
 * @since 0.1.0
 * @category models
 */
export interface FirstIssue {
  readonly path: string | undefined
  readonly message: string
  readonly _tag: ParseResult.ArrayFormatterIssue["_tag"] | undefined
}

/**
 * The first issue of `error`, in `ArrayFormatter`'s order.
 *
 * @since 0.1.0
 * @category utils
 */
export const firstIssue = (error: ParseResult.ParseError): FirstIssue => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  return {
    path: issue?.path.length ? issue.path.map(String).join(".") : undefined,
    message: issue?.message ?? error.message,
    _tag: issue?._tag
  }
}
