/**
 * How the client reaches a server: base URL, credentials, extra headers and query parameters,
 * timeout and retry policy. Nothing here assumes api.openai.com beyond the default base URL.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type { RetryPolicy } from "./RetryPolicy.js"

/**
 * Options of `AssistantsLive.layer` and `AssistantsClient.layer`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Sent as `Authorization: Bearer <key>`, or raw under `authHeader`. No key: no auth header. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Includes the version path and is used verbatim. Default `https://api.openai.com/v1`. */
  readonly baseUrl?: string | undefined
  readonly organization?: string | undefined
  readonly project?: string | undefined
  /** A header other than `authorization` carries the raw key (Azure-style `api-key`). */
  readonly authHeader?: string | undefined
  /** Sent on every request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Added to every request's query, for example `{ "api-version": "2024-05-01-preview" }`. */
  readonly urlParams?: Readonly<Record<string, string>> | undefined
  /** Per attempt, reading the body included. Default 10 minutes, as the official SDKs. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Replaces the default policy (2 retries, 0.5 s * 2^n with jitter, capped at 8 s). */
  readonly retry?: RetryPolicy | undefined
  /** A server delay above this is not slept through but reported as the error. Default 60 s. */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /**
   * Retry creates (and tool output submissions) even when the server may have acted on the
   * failed attempt. Off by default: a duplicate run costs more than a failed call.
   */
  readonly retryCreates?: boolean | undefined
}

/**
 * The default base URL.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBaseUrl = "https://api.openai.com/v1"

/**
 * Reads `OPENAI_API_KEY` (redacted), `OPENAI_BASE_URL`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`.
 * Every variable is optional.
 *
 * @since 0.1.0
 * @category config
 */
export const fromEnv = (): Config.Config<Options> =>
  Config.all({
    apiKey: Config.option(Config.redacted("OPENAI_API_KEY")),
    baseUrl: Config.option(Config.string("OPENAI_BASE_URL")),
    organization: Config.option(Config.string("OPENAI_ORG_ID")),
    project: Config.option(Config.string("OPENAI_PROJECT_ID"))
  }).pipe(
    Config.map((c) => ({
      apiKey: Option.getOrUndefined(c.apiKey),
      baseUrl: Option.getOrUndefined(c.baseUrl),
      organization: Option.getOrUndefined(c.organization),
      project: Option.getOrUndefined(c.project)
    }))
  )
