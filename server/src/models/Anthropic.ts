/**
 * A `Model` over Anthropic's Messages API (`POST {baseUrl}/messages`), through the provider
 * client of `@effect/ai-anthropic` (`AnthropicClient`), for the same reason the Responses
 * provider uses its client and not `LanguageModel`: the run's tools are JSON Schemas known only at
 * run time, and the client sends them as given.
 *
 * The Assistants mapping carries over nearly field for field. One run turn is one request:
 * - `system`: the instructions; `messages`: the thread's messages (consecutive ones of one role
 *   joined, as the API takes turns), a user message with images as `text` and `image` blocks
 *   (an `image_url` by its URL, or as base64 for a `data:` URL; an `image_file` by its
 *   `file_id`, which must name a file of Anthropic's own Files API, since this server has none);
 *   then each earlier round of calls as an assistant turn of `tool_use` blocks and a user turn of
 *   their `tool_result`s;
 * - `tools`: the function tools, `parameters` as `input_schema` unchanged (no parameters: an empty
 *   object schema); `strict` has no counterpart and is not sent;
 * - `tool_choice`: `auto`, `none`, `required` as `any`, a named function as `tool`;
 *   `parallel_tool_calls: false` as `disable_parallel_tool_use`;
 * - `temperature` (Anthropic's range is 0 to 1: higher values are sent as 1), `top_p`;
 * - `max_tokens`, which Anthropic requires: the run's `max_completion_tokens`, else
 *   `maxTokens` (default 4096);
 * - `response_format` has no counterpart in this Messages API and is not sent: a JSON reply
 *   must be asked for in the instructions.
 *
 * The answer: `text` blocks become the reply, `tool_use` blocks the run's calls (their `input`
 * as the call's arguments), `stop_reason: "max_tokens"` ends the run `incomplete`, `usage` is the
 * turn's counts. Streamed, text deltas and `input_json_delta` pieces reach the run as they arrive.
 *
 * @since 0.1.0
 */
import * as AnthropicClient from "@effect/ai-anthropic/AnthropicClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import type { Message } from "effect-assistants/Message"
import type { ToolChoice } from "effect-assistants/Tool"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { type Input, Model, type Output, type ToolCall, type Usage } from "../Model.js"
import * as Upstream from "./Upstream.js"

/**
 * How the provider reaches Anthropic: the shared options, `baseUrl` with its version path
 * (`https://api.anthropic.com/v1`), and the output limit sent when the run sets none.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Upstream.Options {
  /** `max_tokens` when the run has no `max_completion_tokens` (Anthropic requires one). Default 4096. */
  readonly maxTokens?: number | undefined
}

/**
 * Anthropic's API.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBaseUrl = "https://api.anthropic.com/v1"

/**
 * The `anthropic-beta` value that lets a request name files of Anthropic's Files API.
 *
 * @since 0.1.0
 * @category constants
 */
export const filesBeta = "files-api-2025-04-14"

const mediaTypes = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"])

const imageOf = (url: string): unknown => {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url)
  return data !== null && mediaTypes.has(data[1])
    ? { type: "image", source: { type: "base64", media_type: data[1], data: data[2] } }
    : { type: "image", source: { type: "url", url } }
}

const contentOf = (m: Message): string | Array<unknown> =>
  Upstream.partsOf(m, {
    text: (text) => ({ type: "text", text }),
    imageUrl: (url) => imageOf(url),
    imageFile: (fileId) => ({ type: "image", source: { type: "file", file_id: fileId } })
  }) ?? Upstream.textOf(m)

const blocks = (content: string | Array<unknown>): Array<unknown> =>
  typeof content === "string" ? (content === "" ? [] : [{ type: "text", text: content }]) : content

const inputOf = (args: string): Record<string, unknown> => {
  try {
    const value = JSON.parse(args)
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value
  } catch {
    // not JSON: the call goes back with no input, its output still answers it
  }
  return {}
}

const toolChoiceOf = (choice: ToolChoice | null, parallel: boolean | undefined): unknown => {
  const base = Upstream.toolChoiceOf(choice, (name) => ({ type: "tool", name }))
  const shaped: any = base === undefined
    ? undefined
    : typeof base === "string"
    ? { type: base === "required" ? "any" : base }
    : base
  if (parallel !== false || shaped?.type === "none") return shaped
  return { ...(shaped ?? { type: "auto" }), disable_parallel_tool_use: true }
}

/**
 * The request body of one turn (without `stream`).
 *
 * @since 0.1.0
 * @category prompt
 */
export const requestBody = (options: Options, input: Input): Record<string, unknown> => {
  const turns: Array<{ role: "user" | "assistant"; content: Array<unknown> }> = []
  const push = (role: "user" | "assistant", content: Array<unknown>) => {
    if (content.length === 0) return
    const last = turns[turns.length - 1]
    // the API takes alternating turns: consecutive messages of one role are one turn
    if (last !== undefined && last.role === role) last.content.push(...content)
    else turns.push({ role, content: [...content] })
  }
  for (const m of input.messages) push(m.role === "assistant" ? "assistant" : "user", blocks(contentOf(m)))
  const rounds = new Map<number, Array<Input["toolOutputs"][number] & { readonly id: string }>>()
  input.toolOutputs.forEach((o, i) => {
    const round = o.round ?? 0
    rounds.set(round, [...(rounds.get(round) ?? []), { ...o, id: o.callId ?? `call_${i}` }])
  })
  for (const outputs of rounds.values()) {
    push("assistant", outputs.map((o) => ({ type: "tool_use", id: o.id, name: o.name, input: inputOf(o.arguments) })))
    push("user", outputs.map((o) => ({ type: "tool_result", tool_use_id: o.id, content: o.output })))
  }
  const tools = input.functions.map((f) => ({
    name: f.name,
    ...(f.description !== undefined ? { description: f.description } : {}),
    input_schema: f.parameters ?? { type: "object", properties: {} }
  }))
  const toolChoice = tools.length > 0 ? toolChoiceOf(input.toolChoice, input.parallelToolCalls) : undefined
  return {
    model: Upstream.modelName(options, input.model),
    ...(input.instructions !== "" ? { system: input.instructions } : {}),
    messages: turns,
    max_tokens: input.maxCompletionTokens ?? options.maxTokens ?? 4096,
    ...(tools.length > 0 ? { tools } : {}),
    ...(toolChoice !== undefined ? { tool_choice: toolChoice } : {}),
    ...(input.temperature != null ? { temperature: Math.min(1, input.temperature) } : {}),
    ...(input.topP != null ? { top_p: input.topP } : {})
  }
}

const namesFiles = (input: Input): boolean =>
  input.messages.some((m) => m.role !== "assistant" && m.content.some((p) => p.type === "image_file"))

const usageOf = (usage: any): Usage | undefined =>
  usage != null && typeof usage.input_tokens === "number"
    ? { promptTokens: usage.input_tokens, completionTokens: usage.output_tokens ?? 0 }
    : undefined

const outputOf = (
  stopReason: string | null | undefined,
  text: string,
  calls: ReadonlyArray<ToolCall>,
  usage: Usage | undefined
): Output => {
  const counts = usage === undefined ? {} : { usage }
  if (stopReason === "max_tokens") return { _tag: "Incomplete", reason: "max_completion_tokens", ...counts }
  if (calls.length > 0) return { _tag: "ToolCalls", calls, ...counts }
  return { _tag: "Reply", text, ...counts }
}

/**
 * The run's outcome for a finished Anthropic message.
 *
 * @since 0.1.0
 * @category models
 */
export const fromMessage = (message: {
  readonly content: ReadonlyArray<any>
  readonly stop_reason: string | null
  readonly usage: unknown
}): Output => {
  let text = ""
  const calls: Array<ToolCall> = []
  for (const block of message.content) {
    if (block.type === "text") text += block.text
    else if (block.type === "tool_use") calls.push({ name: block.name, arguments: JSON.stringify(block.input) })
  }
  return outputOf(message.stop_reason, text, calls, usageOf(message.usage))
}

/**
 * The provider over `@effect/ai-anthropic`'s client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Model["Type"], never, AnthropicClient.AnthropicClient> =>
  Effect.map(AnthropicClient.AnthropicClient, (client) => {
    const policy = Upstream.retryPolicy(options)
    const request = (input: Input) => ({
      ...(namesFiles(input) ? { params: { "anthropic-beta": filesBeta } } : {}),
      payload: requestBody(options, input) as any
    })

    const once = (input: Input) =>
      client.createMessage(request(input)).pipe(
        Effect.mapError(Upstream.fromAiError),
        Effect.retry(policy),
        Effect.map(fromMessage)
      )

    const streamed = (input: Input) =>
      Effect.suspend(() => {
        // a failure is retried only before the upstream sent anything: pieces already published
        // cannot be taken back
        let started = false
        const attempt = Effect.gen(function*() {
          let text = ""
          let stopReason: string | null | undefined
          let stopped = false
          let failure: Upstream.UpstreamError | undefined
          let promptTokens: number | undefined
          let completionTokens = 0
          // tool_use blocks by their block index, in the order they began
          const calls: Array<{ name: string; arguments: string; chunks: Array<string> }> = []
          const callAt = new Map<number, number>()
          yield* client.createMessageStream(request(input)).pipe(
            Stream.mapError(Upstream.fromAiError),
            Stream.runForEach((event) =>
              Effect.gen(function*() {
                started = true
                switch (event.type) {
                  case "message_start":
                    promptTokens = event.message.usage.input_tokens
                    completionTokens = event.message.usage.output_tokens
                    break
                  case "content_block_start": {
                    const block: any = event.content_block
                    if (block.type === "text" && block.text !== "") {
                      text += block.text
                      if (input.onText) yield* input.onText(block.text)
                    } else if (block.type === "tool_use") {
                      callAt.set(event.index, calls.length)
                      calls.push({ name: block.name, arguments: "", chunks: [] })
                      if (input.onToolCall) {
                        yield* input.onToolCall({ index: calls.length - 1, name: block.name, arguments: "" })
                      }
                    }
                    break
                  }
                  case "content_block_delta": {
                    const delta: any = event.delta
                    if (delta.type === "text_delta" && delta.text !== "") {
                      text += delta.text
                      if (input.onText) yield* input.onText(delta.text)
                    } else if (delta.type === "input_json_delta" && delta.partial_json !== "") {
                      const at = callAt.get(event.index)
                      if (at === undefined) break
                      calls[at].arguments += delta.partial_json
                      calls[at].chunks.push(delta.partial_json)
                      if (input.onToolCall) yield* input.onToolCall({ index: at, arguments: delta.partial_json })
                    }
                    break
                  }
                  case "message_delta":
                    stopReason = event.delta.stop_reason
                    if (event.usage.input_tokens != null) promptTokens = event.usage.input_tokens
                    if (event.usage.output_tokens != null) completionTokens = event.usage.output_tokens
                    break
                  case "message_stop":
                    stopped = true
                    break
                  case "error":
                    failure = new Upstream.UpstreamError({
                      code: event.error.type === "rate_limit_error" ? "rate_limit_exceeded" : "server_error",
                      message: event.error.message,
                      retryable: false
                    })
                    break
                }
              })
            )
          )
          if (failure !== undefined) return yield* Effect.fail(failure)
          if (!stopped) return yield* Effect.fail(Upstream.brokenStream())
          return outputOf(
            stopReason,
            text,
            // a call with no input streams none: its arguments are the empty object
            calls.map((c) => ({ name: c.name, arguments: c.arguments === "" ? "{}" : c.arguments, chunks: c.chunks })),
            promptTokens === undefined ? undefined : { promptTokens, completionTokens }
          )
        })
        return Effect.retry(attempt, { schedule: policy, while: () => !started })
      })

    return Model.of({
      respond: (input) => Upstream.runTurn(options, options.stream === false ? once(input) : streamed(input))
    })
  })

/**
 * The provider as the server's `Model`, with its `AnthropicClient` at `baseUrl` (default
 * Anthropic's; the client adds the `/v1` of its paths itself, so a trailing `/v1` is dropped).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Partial<Options> = {}): Layer.Layer<Model, never, HttpClient.HttpClient> => {
  const full: Options = { ...options, baseUrl: options.baseUrl ?? defaultBaseUrl }
  return Layer.effect(Model, make(full)).pipe(
    Layer.provide(AnthropicClient.layer({
      apiUrl: full.baseUrl.replace(/\/+$/, "").replace(/\/v1$/, ""),
      ...(full.apiKey !== undefined ? { apiKey: full.apiKey } : {})
    }))
  )
}
