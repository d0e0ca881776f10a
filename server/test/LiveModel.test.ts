/**
 * Opt-in: the scenario against a real model endpoint. Set MODEL_BASE_URL (and MODEL_API_KEY when
 * the endpoint needs one; MODEL_PROVIDER `openai-chat` (default), `openai-responses` or
 * `anthropic`; MODEL_NAME, default `gpt-4o-mini`) to run it. Without MODEL_BASE_URL it is skipped, and its name says why.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { AssistantsServer } from "effect-assistants-server"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import OpenAI from "openai"
import * as Anthropic from "../src/models/Anthropic.js"
import * as ChatCompletions from "../src/models/ChatCompletions.js"
import * as OpenAiResponses from "../src/models/OpenAiResponses.js"

const baseUrl = process.env.MODEL_BASE_URL ?? ""
const provider = process.env.MODEL_PROVIDER === "openai-responses" || process.env.MODEL_PROVIDER === "anthropic"
  ? process.env.MODEL_PROVIDER
  : "openai-chat"
const modelName = process.env.MODEL_NAME ?? "gpt-4o-mini"
const apiKey = process.env.MODEL_API_KEY

describe.skipIf(baseUrl === "")(`live model at ${baseUrl || "(skipped: MODEL_BASE_URL is not set)"}`, () => {
  const options = { baseUrl, ...(apiKey ? { apiKey: Redacted.make(apiKey) } : {}), timeout: Duration.seconds(120) }
  const model = (provider === "openai-chat"
    ? ChatCompletions.layer(options)
    : provider === "anthropic"
    ? Anthropic.layer(options)
    : OpenAiResponses.layer(options)).pipe(Layer.provide(FetchHttpClient.layer))
  const runtime = ManagedRuntime.make(AssistantsServer.layer({ timings: { queued: 0, step: 0 }, model }))
  let openai: OpenAI
  beforeAll(async () => {
    const { url } = await runtime.runPromise(AssistantsServer.AssistantsServer)
    openai = new OpenAI({ apiKey: "unused", baseURL: url, maxRetries: 0 })
  })
  afterAll(() => runtime.dispose())

  it("a streamed text reply, then a tool round", async () => {
    const assistant = await openai.beta.assistants.create({
      model: modelName,
      instructions: "Answer in one short sentence.",
      tools: [{
        type: "function",
        function: {
          name: "get_time",
          description: "The current time in a city",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
        }
      }]
    })
    const thread = await openai.beta.threads.create({ messages: [{ role: "user", content: "Say hello." }] })
    const deltas: Array<string> = []
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id, tool_choice: "none" })
    stream.on("textDelta", (d) => deltas.push(d.value ?? ""))
    const run = await stream.finalRun()
    assert.strictEqual(run.status, "completed", JSON.stringify(run.last_error))
    assert.isAbove(deltas.join("").length, 0)
    assert.isAbove(run.usage?.total_tokens ?? 0, 0)

    await openai.beta.threads.messages.create(thread.id, { role: "user", content: "What time is it in Paris?" })
    const waiting = await openai.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistant.id,
      tool_choice: { type: "function", function: { name: "get_time" } }
    }, { pollIntervalMs: 50 })
    assert.strictEqual(waiting.status, "requires_action", JSON.stringify(waiting.last_error))
    const calls = waiting.required_action!.submit_tool_outputs.tool_calls
    const done = await openai.beta.threads.runs.submitToolOutputsAndPoll(waiting.id, {
      thread_id: thread.id,
      tool_outputs: calls.map((c) => ({ tool_call_id: c.id, output: "14:05" }))
    }, { pollIntervalMs: 50 })
    assert.strictEqual(done.status, "completed", JSON.stringify(done.last_error))
  }, 300_000)
})
