/**
 * When and how long to wait before trying a failed request again.
 *
 * The policy proper (how many retries, what backoff) is a `Schedule` the caller can replace. The
 * safety rules around it are not replaceable: which errors are worth a retry, the server's
 * `retry-after`/`retry-after-ms` and `x-should-retry`, the cap above which a server delay is
 * reported rather than slept, and the no-duplicate rule for creates, which wins over everything.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Schedule from "effect/Schedule"
import type { AssistantsError } from "../errors/AssistantsError.js"

/**
 * A retry schedule over the errors of one API call.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryPolicy = Schedule.Schedule<unknown, AssistantsError>

/**
 * Exponential backoff from `base`, doubled each time, jittered down by up to 25 %, capped at `cap`,
 * at most `retries` times. The default matches the official SDKs: 2 retries, 0.5 s, 8 s.
 *
 * @example
 * ```ts
 * import { AssistantsClient, AssistantsLive, RetryPolicy, Runs } from "effect-assistants"
 *
 * // every call of the layer: up to 5 retries from 200 ms, never more than 4 s apart
 * const Live = AssistantsLive.layer({
 *   retry: RetryPolicy.exponential({ base: "200 millis", cap: "4 seconds", retries: 5 })
 * })
 *
 * // one call: no retry at all
 * const once = Runs.get({ threadId: "thread_abc", runId: "run_abc" }).pipe(
 *   AssistantsClient.withRetry(RetryPolicy.none)
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const exponential = (options?: {
  readonly retries?: number | undefined
  readonly base?: Duration.DurationInput | undefined
  readonly cap?: Duration.DurationInput | undefined
}): RetryPolicy => {
  const cap = Duration.decode(options?.cap ?? "8 seconds")
  return Schedule.exponential(options?.base ?? "500 millis", 2).pipe(
    Schedule.jitteredWith({ min: 0.75, max: 1 }),
    Schedule.modifyDelay((_, delay) => Duration.min(delay, cap)),
    Schedule.intersect(Schedule.recurs(options?.retries ?? 2))
  )
}

/**
 * The default policy.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPolicy: RetryPolicy = exponential()

/**
 * No retries at all.
 *
 * @since 0.1.0
 * @category constants
 */
export const none: RetryPolicy = Schedule.stop

/**
 * Parses the server's delay: `retry-after-ms` first, then `retry-after` in seconds or as an HTTP
 * date (relative to `now`).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseRetryAfter = (
  headers: Readonly<Record<string, string | undefined>>,
  now: number
): number | undefined => {
  const ms = headers["retry-after-ms"]
  if (ms !== undefined) {
    const n = Number(ms)
    if (ms.trim() !== "" && Number.isFinite(n) && n >= 0) return n
  }
  const after = headers["retry-after"]
  if (after === undefined || after.trim() === "") return undefined
  const seconds = Number(after)
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined
  const date = Date.parse(after)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * The rules one call is retried under.
 *
 * @since 0.1.0
 * @category models
 */
export interface Rules {
  /** The call creates something (or submits tool outputs). */
  readonly create: boolean
  readonly retryCreates: boolean
  readonly maxRetryAfterMillis: number
}

/**
 * Whether an error may be retried under `rules`, policy aside.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryable = (error: AssistantsError, rules: Rules): boolean => {
  switch (error._tag) {
    case "InvalidRequestError":
    case "StreamError":
      // an `error` event arrives mid-stream, after the server acted: never asked again
      return false
    case "ResponseDecodeError":
      // a body that is not JSON at all is a transport accident worth another read; a create
      // was acted on, and JSON of the wrong shape will not improve by asking again
      return !rules.create && error.reason === "invalid-json"
    case "ConnectionError":
    case "TimeoutError":
      return !rules.create || rules.retryCreates || error.outcome === "not-sent"
    default: {
      if (error.retryAfterMillis !== undefined && error.retryAfterMillis > rules.maxRetryAfterMillis) return false
      if (rules.create && !rules.retryCreates && error.outcome === "unknown") return false
      if (error.shouldRetry !== undefined) return error.shouldRetry
      const status = error.status
      return status === 408 || status === 409 || status === 429 || status >= 500
    }
  }
}

/**
 * Wraps a policy so that a delay the server asked for replaces the policy's own.
 *
 * @since 0.1.0
 * @category combinators
 */
export const honourServerDelay = (policy: RetryPolicy): RetryPolicy =>
  Schedule.intersect(policy, Schedule.identity<AssistantsError>()).pipe(
    Schedule.modifyDelay(([, error], delay) =>
      "retryAfterMillis" in error && error.retryAfterMillis !== undefined
        ? Duration.millis(error.retryAfterMillis)
        : delay
    )
  )
