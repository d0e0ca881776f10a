/**
 * A `Model` over OpenAI's Responses API (`POST {baseUrl}/responses`), through the provider client
 * of `@effect/ai-openai` (`OpenAiClient`): OpenAI itself, and the servers that speak Responses
 * (LM Studio, vLLM, Ollama's `/v1/responses`).
 *
 * Why the client and not `LanguageModel`: an Assistants tool is a JSON Schema known only at run
 * time, and `LanguageModel` would send it through an Effect Schema (`Tool.getJsonSchema`), set
 * one `strict` for every tool, JSON-encode tool outputs a second time and decode call arguments
 * through the tool's schema. The client takes the request as the wire has it, so the tool's
 * schema, its `strict` and the submitted outputs reach the upstream unchanged.
 *
 * One run turn is one request:
 * - `instructions`; `input`: the thread's messages (their text; a user message with images as
 *   `input_text` and `input_image` parts: an `image_url` by its URL, an `image_file` by its
 *   `file_id`, which must name a file of the upstream's own Files API, since this server has
 *   none), then each earlier round's `function_call` items and their `function_call_output`s;
 * - `tools`: the function tools (`parameters` as given, or an empty object schema; `strict` as
 *   given, else false); `tool_choice`, `parallel_tool_calls`, `temperature`, `top_p`;
 *   `response_format` as `text.format`; `max_completion_tokens` as `max_output_tokens`;
 *   `store: false`.
 *
 * Streamed, text deltas and function-call argument deltas reach the run as they arrive (a call
 * from its `response.output_item.added`; one never announced reaches it whole at its
 * `response.output_item.done`).
 *
 * @since 0.1.0
 */
import * as OpenAiClient from "@effect/ai-openai/OpenAiClient"
import type * as AiError from "@effect/ai/AiError"
import type * as HttpClient from "@effect/platform/HttpClient"
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

/**
 * The default base URL.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBaseUrl = Upstream.openAiBaseUrl

const toolChoiceOf = (choice: ToolChoice | null): unknown =>
  Upstream.toolChoiceOf(choice, (name) => ({ type: "function", name }))

const formatOf = (format: ResponseFormat | null | undefined): unknown =>
  Upstream.responseFormatOf(format, (f) => ({
    type: "json_schema",
    name: f.jsonSchema.name,
    schema: f.jsonSchema.schema ?? { type: "object" },
    ...(f.jsonSchema.description !== undefined ? { description: f.jsonSchema.description } : {}),
    ...(f.jsonSchema.strict != null ? { strict: f.jsonSchema.strict } : {})
  }))

/**
 * The request body of one turn (without `stream`).
 *
 * @since 0.1.0
 * @category prompt
 */
export const requestBody = (options: Options, input: Input): Record<string, unknown> => {
  const items: Array<unknown> = input.messages.map((m) => ({
    type: "message",
    role: m.role === "assistant" ? "assistant" : "user",
    content: Upstream.partsOf(m, {
      text: (text) => ({ type: "input_text", text }),
      imageUrl: (url, detail) => ({ type: "input_image", image_url: url, detail: detail ?? "auto" }),
      imageFile: (fileId, detail) => ({ type: "input_image", file_id: fileId, detail: detail ?? "auto" })
    }) ?? Upstream.textOf(m)
  }))
  // each round: its calls, then their outputs
  const rounds = new Map<number, Array<{ callId: string; name: string; arguments: string; output: string }>>()
  input.toolOutputs.forEach((o, i) => {
    const round = o.round ?? 0
    rounds.set(round, [...(rounds.get(round) ?? []), { ...o, callId: o.callId ?? `call_${i}` }])
  })
  for (const outputs of rounds.values()) {
    for (const o of outputs) {
      items.push({ type: "function_call", call_id: o.callId, name: o.name, arguments: o.arguments })
    }
    for (const o of outputs) items.push({ type: "function_call_output", call_id: o.callId, output: o.output })
  }
  const tools = input.functions.map((f) => ({
    type: "function",
    name: f.name,
    ...(f.description !== undefined ? { description: f.description } : {}),
    parameters: f.parameters ?? { type: "object", properties: {} },
    strict: f.strict ?? false
  }))
  const toolChoice = tools.length > 0 ? toolChoiceOf(input.toolChoice) : undefined
  const format = formatOf(input.responseFormat)
  return {
    model: Upstream.modelName(options, input.model),
    ...(input.instructions !== "" ? { instructions: input.instructions } : {}),
    input: items,
    ...Upstream.toolsAndSampling(input, tools, toolChoice),
    ...(format !== undefined ? { text: { format } } : {}),
    ...(input.maxCompletionTokens != null ? { max_output_tokens: input.maxCompletionTokens } : {}),
    store: false
  }
}

/**
 * The run's `last_error` for a failure of the provider client.
 *
 * @since 0.1.0
 * @category errors
 */
export const fromAiError: (error: AiError.AiError) => Upstream.UpstreamError = Upstream.fromAiError

const usageOf = (usage: any): Usage | undefined =>
  usage != null && typeof usage.input_tokens === "number"
    ? { promptTokens: usage.input_tokens, completionTokens: usage.output_tokens ?? 0 }
    : undefined

/**
 * The run's outcome for a finished Responses `Response` (streamed text already delivered or not).
 * `chunks` are the streamed argument pieces by item id; `order` the positions already given to
 * calls streamed live (by item id), which the calls keep, the others following in output order.
 *
 * @since 0.1.0
 * @category models
 */
export const outputOf = (
  response: any,
  chunks?: ReadonlyMap<string, ReadonlyArray<string>>,
  order?: ReadonlyMap<string, number>
): Output => {
  const usage = usageOf(response.usage)
  const counts = usage === undefined ? {} : { usage }
  if (response.status === "failed") {
    return {
      _tag: "Fail",
      code: response.error?.code === "rate_limit_exceeded" ? "rate_limit_exceeded" : "server_error",
      message: response.error?.message ?? "The model failed.",
      ...counts
    }
  }
  if (response.status === "incomplete") {
    return { _tag: "Incomplete", reason: "max_completion_tokens", ...counts }
  }
  let text = ""
  const calls: Array<ToolCall & { readonly at: number }> = []
  for (const item of response.output ?? []) {
    if (item.type === "message") {
      for (const part of item.content ?? []) if (part.type === "output_text") text += part.text
    } else if (item.type === "function_call") {
      const pieces = chunks?.get(item.id ?? "")
      calls.push({
        name: item.name,
        arguments: item.arguments,
        ...(pieces ? { chunks: pieces } : {}),
        at: order?.get(item.id ?? "") ?? Number.MAX_SAFE_INTEGER
      })
    }
  }
  if (calls.length > 0) {
    // a stable sort: the calls streamed live first, at their positions, then the others
    calls.sort((a, b) => a.at - b.at)
    return { _tag: "ToolCalls", calls: calls.map(({ at: _, ...call }) => call), ...counts }
  }
  return { _tag: "Reply", text, ...counts }
}

/**
 * The provider over `@effect/ai-openai`'s client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Model["Type"], never, OpenAiClient.OpenAiClient> =>
  Effect.map(OpenAiClient.OpenAiClient, (client) => {
    const policy = Upstream.retryPolicy(options)
    const once = (input: Input) =>
      client.createResponse(requestBody(options, input) as any).pipe(
        Effect.mapError(fromAiError),
        Effect.retry(policy),
        Effect.map((response) => outputOf(response))
      )

    const streamed = (input: Input) =>
      Effect.suspend(() => {
        // a failure is retried only before the upstream sent anything: text already published
        // cannot be taken back
        let started = false
        const attempt = Effect.gen(function*() {
          let final: any
          let failure: Upstream.UpstreamError | undefined
          const chunks = new Map<string, Array<string>>()
          // the position of each call streamed live, by item id, in the order the calls began
          const order = new Map<string, number>()
          const announce = (id: string, name: string, args: string) =>
            Effect.suspend(() => {
              if (input.onToolCall === undefined || order.has(id)) return Effect.void
              order.set(id, order.size)
              return input.onToolCall({ index: order.size - 1, name, arguments: args })
            })
          yield* client.createResponseStream(requestBody(options, input) as any).pipe(
            Stream.mapError(fromAiError),
            Stream.runForEach((event: any) =>
              Effect.gen(function*() {
                started = true
                switch (event.type) {
                  case "response.output_text.delta":
                    if (input.onText && event.delta !== "") yield* input.onText(event.delta)
                    break
                  case "response.output_item.added":
                    if (event.item?.type === "function_call") {
                      yield* announce(event.item.id, event.item.name, event.item.arguments ?? "")
                    }
                    break
                  case "response.function_call_arguments.delta": {
                    const list = chunks.get(event.item_id) ?? []
                    list.push(event.delta)
                    chunks.set(event.item_id, list)
                    const at = order.get(event.item_id)
                    if (at !== undefined && input.onToolCall && event.delta !== "") {
                      yield* input.onToolCall({ index: at, arguments: event.delta })
                    }
                    break
                  }
                  case "response.output_item.done":
                    // a call whose start was not announced reaches the run whole, once it is done
                    if (event.item?.type === "function_call") {
                      yield* announce(event.item.id, event.item.name, event.item.arguments ?? "")
                    }
                    break
                  case "response.completed":
                  case "response.incomplete":
                  case "response.failed":
                    final = event.response
                    break
                  case "error":
                    failure = new Upstream.UpstreamError({
                      code: event.code === "rate_limit_exceeded" ? "rate_limit_exceeded" : "server_error",
                      message: event.message ?? "The model upstream reported an error.",
                      retryable: false
                    })
                    break
                }
              })
            )
          )
          if (failure !== undefined) return yield* Effect.fail(failure)
          if (final === undefined) return yield* Effect.fail(Upstream.brokenStream())
          return outputOf(final, chunks, order)
        })
        return Effect.retry(attempt, { schedule: policy, while: () => !started })
      })

    return Model.of({
      respond: (input) => Upstream.runTurn(options, options.stream === false ? once(input) : streamed(input))
    })
  })

/**
 * The provider as the server's `Model`, with its `OpenAiClient` at `baseUrl` (default OpenAI's).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Partial<Options> = {}): Layer.Layer<Model, never, HttpClient.HttpClient> => {
  const full: Options = { ...options, baseUrl: options.baseUrl ?? defaultBaseUrl }
  return Layer.effect(Model, make(full)).pipe(
    Layer.provide(OpenAiClient.layer({
      apiUrl: full.baseUrl.replace(/\/+$/, ""),
      ...(full.apiKey !== undefined ? { apiKey: full.apiKey } : {})
    }))
  )
}
