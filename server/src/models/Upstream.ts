/**
 * What the real-model providers share: their options, the request to the upstream (auth,
 * timeout, the retry policy that honours `retry-after`), the mapping of upstream failures to a
 * run's `last_error`, model renaming, and the lines of an upstream event stream.
 *
 * @since 0.1.0
 */
import type * as AiError from "@effect/ai/AiError"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type { Message } from "effect-assistants/Message"
import type { ResponseFormat, ToolChoice } from "effect-assistants/Tool"
import * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { Input, Output } from "../Model.js"

/**
 * How a provider reaches its upstream.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The upstream's base URL, version path included: `http://127.0.0.1:11434/v1`. */
  readonly baseUrl: string
  /** Sent as `Authorization: Bearer <key>`; never logged, never in a run's error. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Renames the run's model before it is sent: `{ "gpt-4o": "llama3.2" }`. */
  readonly modelMap?: Readonly<Record<string, string>> | undefined
  /** How long one upstream request may take, stream included. Default 10 minutes. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Retries after a 429, a 5xx or a connection failure. Default 2. */
  readonly retries?: number | undefined
  /** The first retry's delay when the upstream gives no `retry-after`; doubled per retry. Default 500 ms. */
  readonly retryBase?: Duration.DurationInput | undefined
  /** Longest `retry-after` honoured. Default 60 s. */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /** Ask the upstream to stream (text reaches a streamed run as it arrives). Default true. */
  readonly stream?: boolean | undefined
}

/**
 * OpenAI's API, the default upstream of the Responses provider.
 *
 * @since 0.1.0
 * @category constants
 */
export const openAiBaseUrl = "https://api.openai.com/v1"

/**
 * An upstream request that did not succeed.
 *
 * @since 0.1.0
 * @category errors
 */
export class UpstreamError extends Data.TaggedError("UpstreamError")<{
  /** The run's `last_error.code` this becomes. */
  readonly code: "server_error" | "rate_limit_exceeded" | "invalid_prompt"
  readonly message: string
  /** Worth another attempt: 429, 5xx, a connection failure, a timeout. */
  readonly retryable: boolean
  /** The upstream's `retry-after` (or `retry-after-ms`). */
  readonly retryAfter?: Duration.Duration | undefined
}> {}

/**
 * The run's outcome for a failure.
 *
 * @since 0.1.0
 * @category errors
 */
export const toOutput = (error: UpstreamError): Output => ({ _tag: "Fail", code: error.code, message: error.message })

/**
 * The model name sent upstream.
 *
 * @since 0.1.0
 * @category prompt
 */
export const modelName = (options: Options, model: string): string => options.modelMap?.[model] ?? model

/**
 * Reads `from=to` pairs (the `--model-map` flag), `undefined` for a malformed one.
 *
 * @since 0.1.0
 * @category prompt
 */
export const parseModelMap = (pairs: ReadonlyArray<string>): Record<string, string> | undefined => {
  const map: Record<string, string> = {}
  for (const pair of pairs) {
    const at = pair.indexOf("=")
    if (at <= 0 || at === pair.length - 1) return undefined
    map[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return map
}

// `retry-after-ms`, else `retry-after` in seconds or as a date
const retryAfterOf = (headers: Readonly<Record<string, string | undefined>>): Duration.Duration | undefined => {
  const ms = Number(headers["retry-after-ms"])
  if (headers["retry-after-ms"] !== undefined && Number.isFinite(ms) && ms >= 0) return Duration.millis(ms)
  const header = headers["retry-after"]
  if (header === undefined) return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return Duration.seconds(seconds)
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Duration.millis(Math.max(0, date - Date.now()))
}

/**
 * The upstream's own words for a failed response: `error.message` of an OpenAI-style envelope,
 * else the body's start.
 *
 * @since 0.1.0
 * @category errors
 */
export const messageOf = (status: number, body: string): string => {
  try {
    const json = JSON.parse(body)
    const message = json?.error?.message ?? json?.message
    if (typeof message === "string" && message !== "") return message
  } catch {
    // not JSON: the text itself
  }
  const text = body.trim().slice(0, 500)
  return text === "" ? `The model upstream answered with status ${status}.` : text
}

const statusError = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.flatMap(Effect.orElseSucceed(response.text, () => ""), (body) => {
    const message = messageOf(response.status, body)
    return Effect.fail(
      response.status === 429
        ? new UpstreamError({
          code: "rate_limit_exceeded",
          message,
          retryable: true,
          retryAfter: retryAfterOf(response.headers)
        })
        : response.status >= 500 || response.status === 408
        ? new UpstreamError({
          code: "server_error",
          message,
          retryable: true,
          retryAfter: retryAfterOf(response.headers)
        })
        : new UpstreamError({ code: "invalid_prompt", message, retryable: false })
    )
  })

const transportError = (error: HttpClientError.HttpClientError) =>
  new UpstreamError({
    code: "server_error",
    message: `The model upstream could not be reached (${error.reason}).`,
    retryable: error._tag === "RequestError"
  })

/**
 * The run's `last_error` for a failure of an `@effect/ai` provider client (`OpenAiClient`,
 * `AnthropicClient`): 429 and 5xx (Anthropic's 529 "overloaded" too) are worth a retry.
 *
 * @since 0.1.0
 * @category errors
 */
export const fromAiError = (error: AiError.AiError): UpstreamError => {
  switch (error._tag) {
    case "HttpResponseError": {
      const status = error.response.status
      const message = messageOf(status, error.body ?? "")
      const headers = error.response.headers as Record<string, string | undefined>
      if (status === 429) {
        return new UpstreamError({
          code: "rate_limit_exceeded",
          message,
          retryable: true,
          retryAfter: retryAfterOf(headers)
        })
      }
      if (status >= 500 || status === 408) {
        return new UpstreamError({
          code: "server_error",
          message,
          retryable: true,
          retryAfter: retryAfterOf(headers)
        })
      }
      if (status >= 400) return new UpstreamError({ code: "invalid_prompt", message, retryable: false })
      // a success status whose body broke off
      return new UpstreamError({
        code: "server_error",
        message: "The model upstream's stream broke off.",
        retryable: false
      })
    }
    case "HttpRequestError":
      return new UpstreamError({
        code: "server_error",
        message: `The model upstream could not be reached (${error.reason}).`,
        retryable: error.reason === "Transport"
      })
    default:
      return new UpstreamError({
        code: "server_error",
        message: "The model upstream sent an answer that could not be read.",
        retryable: false
      })
  }
}

/**
 * The retry policy: `retries` more attempts while the error is retryable, each after the
 * upstream's `retry-after` (capped at `maxRetryAfter`) or else `retryBase * 2^n`.
 *
 * @since 0.1.0
 * @category retries
 */
export const retryPolicy = (options: Options): Schedule.Schedule<unknown, UpstreamError> => {
  const cap = Duration.decode(options.maxRetryAfter ?? "60 seconds")
  return Schedule.identity<UpstreamError>().pipe(
    Schedule.intersect(Schedule.exponential(options.retryBase ?? "500 millis")),
    Schedule.intersect(Schedule.recurs(options.retries ?? 2)),
    Schedule.whileInput((e: UpstreamError) => e.retryable),
    Schedule.modifyDelay(([[error]], delay) =>
      error.retryAfter === undefined ? delay : Duration.min(error.retryAfter, cap)
    )
  )
}

/**
 * POSTs a JSON body to `path` under the base URL and hands back the response once its status is
 * a success, retrying under {@link retryPolicy}. The request lives as long as the given scope:
 * closing it (the run cancelled, the turn done) aborts it, so the upstream sees the connection
 * close.
 *
 * @since 0.1.0
 * @category requests
 */
export const post = (
  client: HttpClient.HttpClient,
  options: Options,
  path: string,
  body: unknown
): Effect.Effect<HttpClientResponse.HttpClientResponse, UpstreamError, Scope.Scope> => {
  const base = options.baseUrl.replace(/\/+$/, "")
  let request = HttpClientRequest.post(base + path).pipe(
    HttpClientRequest.acceptJson,
    HttpClientRequest.bodyUnsafeJson(body)
  )
  if (options.apiKey !== undefined) {
    request = HttpClientRequest.bearerToken(request, Redacted.value(options.apiKey))
  }
  const scoped = HttpClient.withScope(client)
  return scoped.execute(request).pipe(
    Effect.mapError(transportError),
    Effect.flatMap((response) =>
      response.status >= 200 && response.status < 300 ? Effect.succeed(response) : statusError(response)
    ),
    Effect.retry(retryPolicy(options))
  )
}

/**
 * Runs one turn against the upstream: `turn` gets a scope that holds the request, and the
 * whole turn is bounded by `timeout`. Failures become the run's `last_error`.
 *
 * @since 0.1.0
 * @category requests
 */
export const runTurn = (
  options: Options,
  turn: Effect.Effect<Output, UpstreamError, Scope.Scope>
): Effect.Effect<Output> =>
  turn.pipe(
    Effect.scoped,
    Effect.timeoutFail({
      duration: options.timeout ?? "10 minutes",
      onTimeout: () =>
        new UpstreamError({
          code: "server_error",
          message: "The model upstream did not answer in time.",
          retryable: false
        })
    }),
    Effect.catchAll((e) => Effect.succeed(toOutput(e)))
  )

/**
 * The `data` fields of an event stream's events, in order (multi-line data joined with `\n`);
 * event names and comments are dropped. A body that breaks fails the stream with
 * `server_error`.
 *
 * @since 0.1.0
 * @category streaming
 */
export const sseData = (
  response: HttpClientResponse.HttpClientResponse
): Stream.Stream<string, UpstreamError> =>
  Stream.suspend(() => {
    // one pass over each piece of the body, in plain code: the events of a network chunk come out
    // as one chunk of the stream, so what follows runs once per network chunk, not per line
    const decoder = new TextDecoder()
    let buffer = ""
    let data: Array<string> = []
    const line = (text: string, out: Array<string>) => {
      if (text === "") {
        if (data.length > 0) out.push(data.join("\n"))
        data = []
      } else if (text.startsWith("data:")) data.push(text.slice(text.startsWith("data: ") ? 6 : 5))
    }
    return response.stream.pipe(
      Stream.mapError(() =>
        new UpstreamError({ code: "server_error", message: "The model upstream's stream broke off.", retryable: false })
      ),
      Stream.mapChunks((chunk) => {
        const out: Array<string> = []
        for (const bytes of chunk) {
          buffer += decoder.decode(bytes, { stream: true })
          let start = 0
          for (let i = 0; i < buffer.length; i++) {
            const c = buffer.charCodeAt(i)
            if (c !== 10 && c !== 13) continue
            // a CR at the end may be the first half of a CRLF: wait for what follows
            if (c === 13 && i === buffer.length - 1) break
            line(buffer.slice(start, i), out)
            if (c === 13 && buffer.charCodeAt(i + 1) === 10) i++
            start = i + 1
          }
          buffer = buffer.slice(start)
        }
        return Chunk.unsafeFromArray(out)
      })
    )
  })

/**
 * The failure of a stream that ended before the upstream said it was done.
 *
 * @since 0.1.0
 * @category streaming
 */
export const brokenStream = (): UpstreamError =>
  new UpstreamError({
    code: "server_error",
    message: "The model upstream's stream ended before the answer was complete.",
    retryable: false
  })

/**
 * A message's text parts, joined: what both upstreams take as a message's content.
 *
 * @since 0.1.0
 * @category prompt
 */
export const textOf = (message: Message): string =>
  message.content.map((part) => (part.type === "text" ? part.text.value : "")).join("")

/**
 * A user message's parts as an upstream takes them when it holds an image, in order: its text
 * parts, its images by URL, and its images by file id (`image_file`: the id is the upstream's
 * own, since this server has no Files API to read the bytes from), each in the upstream's shape;
 * `undefined` for a message without images, whose content goes as its text alone. Assistant
 * messages go as text: the upstreams take no images in them. A part of another kind (a refusal,
 * a kind this version does not know) is left out, as in `textOf`.
 *
 * @since 0.1.0
 * @category prompt
 */
export const partsOf = (
  message: Message,
  shape: {
    readonly text: (text: string) => unknown
    readonly imageUrl: (url: string, detail: "auto" | "low" | "high" | undefined) => unknown
    /** Absent: the upstream cannot name a file, and the part is left out. */
    readonly imageFile?: ((fileId: string, detail: "auto" | "low" | "high" | undefined) => unknown) | undefined
  }
): Array<unknown> | undefined => {
  if (message.role === "assistant") return undefined
  if (!message.content.some((p) => p.type === "image_url" || (p.type === "image_file" && shape.imageFile))) {
    return undefined
  }
  const parts: Array<unknown> = []
  for (const part of message.content) {
    switch (part.type) {
      case "text":
        parts.push(shape.text(part.text.value))
        break
      case "image_url":
        parts.push(shape.imageUrl(part.imageUrl.url, detailOf(part.imageUrl.detail)))
        break
      case "image_file":
        if (shape.imageFile) parts.push(shape.imageFile(part.imageFile.fileId, detailOf(part.imageFile.detail)))
        break
    }
  }
  return parts
}

// a detail this version does not know is left to the upstream's default
const detailOf = (detail: string | undefined): "auto" | "low" | "high" | undefined =>
  detail === "auto" || detail === "low" || detail === "high" ? detail : undefined

/**
 * The `tool_choice` sent upstream: the modes pass through, a named function takes the upstream's
 * own shape (`named`), and a choice of a hosted tool sends none.
 *
 * @since 0.1.0
 * @category prompt
 */
export const toolChoiceOf = (choice: ToolChoice | null, named: (name: string) => unknown): unknown => {
  if (choice === null) return undefined
  if (typeof choice === "string") return choice
  return choice.type === "function" && choice.function !== undefined ? named(choice.function.name) : undefined
}

/**
 * The response format sent upstream: `text` and `json_object` as they are, a JSON schema in the
 * upstream's own shape (`jsonSchema`); `auto` and formats this version does not know send none.
 *
 * @since 0.1.0
 * @category prompt
 */
export const responseFormatOf = (
  format: ResponseFormat | null | undefined,
  jsonSchema: (format: Extract<ResponseFormat, { readonly type: "json_schema" }>) => unknown
): unknown => {
  if (format == null || typeof format === "string") return undefined
  switch (format.type) {
    case "text":
    case "json_object":
      return { type: format.type }
    case "json_schema":
      return jsonSchema(format as Extract<ResponseFormat, { readonly type: "json_schema" }>)
    default:
      return undefined
  }
}

/**
 * The request fields both upstreams name alike: the tools (already in the upstream's shape) with
 * `tool_choice` and `parallel_tool_calls`, `temperature` and `top_p`, each only when set.
 *
 * @since 0.1.0
 * @category prompt
 */
export const toolsAndSampling = (
  input: Input,
  tools: ReadonlyArray<unknown>,
  toolChoice: unknown
): Record<string, unknown> => ({
  ...(tools.length > 0 ? { tools } : {}),
  ...(toolChoice !== undefined ? { tool_choice: toolChoice } : {}),
  ...(tools.length > 0 && input.parallelToolCalls !== undefined
    ? { parallel_tool_calls: input.parallelToolCalls }
    : {}),
  ...(input.temperature != null ? { temperature: input.temperature } : {}),
  ...(input.topP != null ? { top_p: input.topP } : {})
})
