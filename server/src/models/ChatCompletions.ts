/**
 * A `Model` over any Chat Completions endpoint (`POST {baseUrl}/chat/completions`): Ollama,
 * vLLM, llama.cpp's server, LM Studio, OpenAI. Written over `HttpClient` because no Effect 3
 * provider of `@effect/ai` speaks plain Chat Completions.
 *
 * One run turn is one request:
 * - `messages`: the instructions as a `system` message, the thread's messages as
 *   `user`/`assistant` messages (their text; a user message with an `image_url` part as content
 *   parts, `text` and `image_url`; an `image_file` part is left out: Chat Completions cannot
 *   name a file, and this server has no Files API to read it from), then, per earlier round of tool calls, the `assistant` message
 *   with its `tool_calls` and one `tool` message per output;
 * - `tools`: the run's function tools as defined (`parameters` and `strict` unchanged);
 *   `tool_choice` and `parallel_tool_calls` passed through;
 * - `temperature`, `top_p`, `response_format` and `max_completion_tokens` passed through.
 *
 * The answer: text becomes the reply (streamed, each content chunk reaches the run as it
 * arrives), tool calls become the run's calls (streamed, each piece of arguments reaches the run
 * as it arrives, once the call's name is known), `finish_reason: "length"` ends the run
 * `incomplete`, and `usage` is the turn's counts.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type { ResponseFormat, ToolChoice } from "effect-assistants/Tool"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { type Input, Model, type Output, type ToolCall, type Usage } from "../Model.js"
import * as Upstream from "./Upstream.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Options = Upstream.Options

const toolChoiceOf = (choice: ToolChoice | null): unknown =>
  Upstream.toolChoiceOf(choice, (name) => ({ type: "function", function: { name } }))

/**
 * The `response_format` sent upstream; `auto` and formats this version does not know send none.
 *
 * @since 0.1.0
 * @category prompt
 */
export const responseFormatOf = (format: ResponseFormat | null | undefined): unknown =>
  Upstream.responseFormatOf(format, (f) => ({
    type: "json_schema",
    json_schema: {
      name: f.jsonSchema.name,
      ...(f.jsonSchema.description !== undefined ? { description: f.jsonSchema.description } : {}),
      ...(f.jsonSchema.schema !== undefined ? { schema: f.jsonSchema.schema } : {}),
      ...(f.jsonSchema.strict != null ? { strict: f.jsonSchema.strict } : {})
    }
  }))

/**
 * The request body of one turn (without `stream`).
 *
 * @since 0.1.0
 * @category prompt
 */
export const requestBody = (options: Options, input: Input): Record<string, unknown> => {
  const messages: Array<unknown> = []
  if (input.instructions !== "") messages.push({ role: "system", content: input.instructions })
  for (const m of input.messages) {
    const parts = Upstream.partsOf(m, {
      text: (text) => ({ type: "text", text }),
      imageUrl: (url, detail) => ({ type: "image_url", image_url: { url, ...(detail ? { detail } : {}) } })
    })
    messages.push({ role: m.role === "assistant" ? "assistant" : "user", content: parts ?? Upstream.textOf(m) })
  }
  const rounds = new Map<number, Array<Input["toolOutputs"][number]>>()
  input.toolOutputs.forEach((o, i) => {
    const round = o.round ?? 0
    rounds.set(round, [...(rounds.get(round) ?? []), { ...o, callId: o.callId ?? `call_${i}` }])
  })
  for (const outputs of rounds.values()) {
    messages.push({
      role: "assistant",
      content: null,
      tool_calls: outputs.map((o) => ({
        id: o.callId,
        type: "function",
        function: { name: o.name, arguments: o.arguments }
      }))
    })
    for (const o of outputs) messages.push({ role: "tool", tool_call_id: o.callId, content: o.output })
  }
  const tools = input.functions.map((f) => ({
    type: "function",
    function: {
      name: f.name,
      ...(f.description !== undefined ? { description: f.description } : {}),
      ...(f.parameters !== undefined ? { parameters: f.parameters } : {}),
      ...(f.strict != null ? { strict: f.strict } : {})
    }
  }))
  const toolChoice = tools.length > 0 ? toolChoiceOf(input.toolChoice) : undefined
  const responseFormat = responseFormatOf(input.responseFormat)
  return {
    model: Upstream.modelName(options, input.model),
    messages,
    ...Upstream.toolsAndSampling(input, tools, toolChoice),
    ...(responseFormat !== undefined ? { response_format: responseFormat } : {}),
    ...(input.maxCompletionTokens != null ? { max_completion_tokens: input.maxCompletionTokens } : {})
  }
}

const usageOf = (usage: any): Usage | undefined =>
  usage != null && typeof usage.prompt_tokens === "number"
    ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens ?? 0 }
    : undefined

const outputOf = (
  finishReason: string | null | undefined,
  text: string,
  calls: ReadonlyArray<ToolCall>,
  usage: Usage | undefined
): Output => {
  const counts = usage === undefined ? {} : { usage }
  if (finishReason === "length") return { _tag: "Incomplete", reason: "max_completion_tokens", ...counts }
  if (calls.length > 0) return { _tag: "ToolCalls", calls, ...counts }
  return { _tag: "Reply", text, ...counts }
}

const malformed = () =>
  new Upstream.UpstreamError({
    code: "server_error",
    message: "The model upstream sent a body that is not a chat completion.",
    retryable: false
  })

/**
 * The provider over an `HttpClient`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Model["Type"], never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (client) => {
    const fromJson = (response: HttpClientResponse.HttpClientResponse) =>
      Effect.gen(function*() {
        const json: any = yield* Effect.mapError(response.json, malformed)
        const choice = json?.choices?.[0]
        if (choice === undefined) return yield* Effect.fail(malformed())
        const calls: Array<ToolCall> = (choice.message?.tool_calls ?? []).map((c: any) => ({
          name: c.function?.name ?? "",
          arguments: c.function?.arguments ?? ""
        }))
        return outputOf(choice.finish_reason, choice.message?.content ?? "", calls, usageOf(json.usage))
      })

    const once = (input: Input) =>
      Effect.flatMap(Upstream.post(client, options, "/chat/completions", requestBody(options, input)), fromJson)

    const streamed = (input: Input) =>
      Effect.gen(function*() {
        const response = yield* Upstream.post(client, options, "/chat/completions", {
          ...requestBody(options, input),
          stream: true,
          stream_options: { include_usage: true }
        })
        // an upstream that does not stream answers with the whole completion
        if ((response.headers["content-type"] ?? "").includes("application/json")) return yield* fromJson(response)
        let text = ""
        let finishReason: string | null | undefined
        let usage: Usage | undefined
        let done = false
        // calls in the order they began (the upstream's `index` names a call, but need not count
        // from 0 without gaps); a call's pieces reach the run once its name is known
        const calls: Array<{ name: string; arguments: string; chunks: Array<string>; live: boolean; sent: number }> = []
        const position = new Map<number, number>()
        yield* Upstream.sseData(response).pipe(
          Stream.takeUntil((data) => data === "[DONE]"),
          // a chunk of events at a time: one effect per network chunk, not per event
          Stream.runForEachChunk((events) =>
            Effect.gen(function*() {
              for (const data of events) {
                if (data === "[DONE]") {
                  done = true
                  continue
                }
                let chunk: any
                try {
                  chunk = JSON.parse(data)
                } catch {
                  return yield* Effect.fail(malformed())
                }
                usage = usageOf(chunk.usage) ?? usage
                const choice = chunk.choices?.[0]
                if (choice === undefined) continue
                if (choice.finish_reason != null) finishReason = choice.finish_reason
                for (const d of choice.delta?.tool_calls ?? []) {
                  const key = typeof d.index === "number" ? d.index : -1 - calls.length
                  let at = position.get(key)
                  if (at === undefined) {
                    at = calls.length
                    position.set(key, at)
                    calls.push({ name: "", arguments: "", chunks: [], live: false, sent: 0 })
                  }
                  const call = calls[at]
                  if (d.function?.name) call.name += d.function.name
                  if (d.function?.arguments) {
                    call.arguments += d.function.arguments
                    call.chunks.push(d.function.arguments)
                  }
                  if (input.onToolCall && call.name !== "") {
                    // the first piece names the call and carries what arrived before the name
                    const piece = call.arguments.slice(call.sent)
                    if (!call.live || piece !== "") {
                      const first = !call.live
                      call.live = true
                      call.sent = call.arguments.length
                      yield* input.onToolCall(
                        first ? { index: at, name: call.name, arguments: piece } : { index: at, arguments: piece }
                      )
                    }
                  }
                }
                const piece = choice.delta?.content
                if (typeof piece === "string" && piece !== "") {
                  text += piece
                  if (input.onText) yield* input.onText(piece)
                }
              }
            })
          )
        )
        // a stream cut before `[DONE]` (or, without it, before any finish reason) is broken
        if (!done && finishReason === undefined) return yield* Effect.fail(Upstream.brokenStream())
        return outputOf(
          finishReason,
          text,
          calls.map((c) => ({ name: c.name, arguments: c.arguments, chunks: c.chunks })),
          usage
        )
      })

    return Model.of({
      respond: (input) => Upstream.runTurn(options, options.stream === false ? once(input) : streamed(input))
    })
  })

/**
 * The provider as the server's `Model`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Model, never, HttpClient.HttpClient> =>
  Layer.effect(Model, make(options))
