/**
 * The Anthropic provider (through @effect/ai-anthropic's client) end to end: the official openai
 * SDK as the client of our server, our server as the client of a loopback fake of Anthropic's
 * Messages API. Every request our server sends, and every reply of the fake, is checked against
 * the schemas @effect/ai-anthropic generated from Anthropic's own API description (requests with
 * no field Anthropic does not know).
 */
import { assert, describe, it } from "@effect/vitest"
import type * as Deferred from "effect/Deferred"
import * as Anthropic from "../src/models/Anthropic.js"
import {
  callsStreamedLive,
  cancelWhileStreaming,
  newThread,
  poll,
  runWith,
  runWithImages,
  setup as setup_,
  streamGreeting,
  weather
} from "./utils/ProviderHarness.js"

const setup = (options: Partial<Anthropic.Options> = {}) =>
  setup_("anthropic", Anthropic.layer, "claude-sonnet-4-5", options)

const message = (content: ReadonlyArray<object>, stop: string | null, input = 10, output = 3) => ({
  id: "msg_1",
  type: "message",
  role: "assistant",
  content,
  model: "claude-sonnet-4-5",
  stop_reason: stop,
  stop_sequence: null,
  usage: { input_tokens: input, output_tokens: output }
})
const error = (type: string, text: string) => ({ type: "error", error: { type, message: text } })

type Event = {
  readonly type: string
  readonly delay?: number
  readonly until?: Deferred.Deferred<void>
  readonly [key: string]: unknown
}
/** SSE events named by their type (`delay`, `until`: see FakeUpstream). */
const events = (...data: ReadonlyArray<Event>) =>
  data.map(({ delay, until, ...d }) => ({
    event: d.type,
    data: d,
    ...(delay !== undefined ? { delay } : {}),
    ...(until !== undefined ? { until } : {})
  }))
const start = (input = 10) => ({ type: "message_start", message: message([], null, input, 1) })
const textStart = (index: number) => ({ type: "content_block_start", index, content_block: { type: "text", text: "" } })
const text = (index: number, value: string, delay?: number) => ({
  type: "content_block_delta",
  index,
  delta: { type: "text_delta", text: value },
  ...(delay !== undefined ? { delay } : {})
})
const toolStart = (index: number, id: string) => ({
  type: "content_block_start",
  index,
  content_block: { type: "tool_use", id, name: "weather", input: {} }
})
const json = (index: number, partial: string) => ({
  type: "content_block_delta",
  index,
  delta: { type: "input_json_delta", partial_json: partial }
})
const stop = (index: number) => ({ type: "content_block_stop", index })
const end = (reason: string, output: number) => [
  { type: "message_delta", delta: { stop_reason: reason, stop_sequence: null }, usage: { output_tokens: output } },
  { type: "message_stop" }
]

describe("Anthropic provider, streaming upstream", () => {
  const t = setup()

  it("a text reply: each upstream delta is a message delta, usage from the upstream, the request as sent", async () => {
    const { fake, openai } = t
    fake.script({
      _tag: "sse",
      events: events(
        start(12),
        textStart(0),
        text(0, "Hel"),
        text(0, "lo "),
        text(0, "there"),
        stop(0),
        ...end("end_turn", 5)
      )
    })
    const { before, deltas, run, thread } = await streamGreeting(t)
    assert.deepStrictEqual(deltas, ["Hel", "lo ", "there"])
    assert.strictEqual(run.status, "completed")
    assert.deepStrictEqual(run.usage, { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 })
    const reply = (await openai.beta.threads.messages.list(thread.id)).data[0].content[0]
    assert.strictEqual(reply.type === "text" ? reply.text.value : "", "Hello there")
    const sent = fake.requests[before]
    assert.strictEqual(sent.path, "/v1/messages")
    assert.strictEqual(sent.headers["x-api-key"], "sk-upstream")
    assert.strictEqual(sent.headers["anthropic-version"], "2023-06-01")
    assert.isUndefined(sent.headers.authorization)
    assert.deepStrictEqual(sent.body, {
      model: "claude-sonnet-4-5",
      system: "Be brief.\nAnswer in English.",
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
      max_tokens: 4096,
      temperature: 0.5,
      top_p: 0.9,
      stream: true
    })
    assert.deepStrictEqual(fake.violations, [])
  })

  it("streamed calls: each piece of arguments reaches the client as a step delta before the upstream finishes", () =>
    callsStreamedLive(t, (latch) => ({
      _tag: "sse",
      events: events(
        start(20),
        toolStart(0, "toolu_1"),
        json(0, "{\"city\":\"Paris\","),
        { ...json(0, "\"unit\":\"c\"}"), until: latch },
        stop(0),
        toolStart(1, "toolu_2"),
        json(1, "{\"city\":\"Oslo\","),
        json(1, "\"unit\":\"c\"}"),
        stop(1),
        ...end("tool_use", 9)
      )
    })))

  it("a tool round: text before the calls, the tool's schema as input_schema, outputs sent back as tool_result", async () => {
    const { fake, openai } = t
    fake.script(
      {
        _tag: "sse",
        events: events(
          start(20),
          textStart(0),
          text(0, "Let me look."),
          stop(0),
          toolStart(1, "toolu_1"),
          json(1, "{\"city\":\"Paris\",\"unit\":\"c\"}"),
          stop(1),
          ...end("tool_use", 9)
        )
      },
      {
        _tag: "sse",
        events: events(start(40), textStart(0), text(0, "Paris 21."), stop(0), ...end("end_turn", 6))
      }
    )
    const tool = {
      type: "function" as const,
      function: { name: "weather", description: "Weather", parameters: weather, strict: true }
    }
    const { assistant, thread } = await newThread(openai, "weather in Paris?", { tools: [tool] })
    const before = fake.requests.length
    const waiting = await openai.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistant.id,
      tool_choice: "required",
      parallel_tool_calls: false
    }, poll)
    assert.strictEqual(waiting.status, "requires_action")
    const calls = waiting.required_action!.submit_tool_outputs.tool_calls
    assert.deepStrictEqual(calls.map((c) => JSON.parse(c.function.arguments)), [{ city: "Paris", unit: "c" }])
    const first = fake.requests[before].body
    assert.deepStrictEqual(first.tools, [{ name: "weather", description: "Weather", input_schema: weather }])
    assert.deepStrictEqual(first.tool_choice, { type: "any", disable_parallel_tool_use: true })

    const run = await openai.beta.threads.runs.submitToolOutputsAndPoll(waiting.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: calls[0].id, output: "21" }]
    }, poll)
    assert.strictEqual(run.status, "completed")
    assert.deepStrictEqual(run.usage, { prompt_tokens: 60, completion_tokens: 15, total_tokens: 75 })
    // the text before the calls is the thread's assistant message, then the calls and their result
    assert.deepStrictEqual(fake.requests[before + 1].body.messages, [
      { role: "user", content: [{ type: "text", text: "weather in Paris?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Let me look." },
          { type: "tool_use", id: calls[0].id, name: "weather", input: { city: "Paris", unit: "c" } }
        ]
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: calls[0].id, content: "21" }] }
    ])
    const steps = await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: "asc" })
    assert.deepStrictEqual(steps.data.map((s) => s.type), ["message_creation", "tool_calls", "message_creation"])
    assert.deepStrictEqual(fake.violations, [])
  })

  it("a 429 with retry-after is retried, and the run completes", async () => {
    const { fake } = t
    const { before, run } = await runWith(t, {
      _tag: "json",
      status: 429,
      body: error("rate_limit_error", "slow down"),
      headers: { "retry-after": "0" }
    }, { _tag: "sse", events: events(start(), textStart(0), text(0, "ok"), stop(0), ...end("end_turn", 1)) })
    assert.strictEqual(run.status, "completed")
    assert.strictEqual(fake.requests.length, before + 2)
    assert.deepStrictEqual(fake.violations, [])
  })

  it("529 overloaded until the retries run out: server_error with the upstream's message", async () => {
    const { fake } = t
    const { before, run } = await runWith(t, {
      _tag: "json",
      status: 529,
      body: error("overloaded_error", "Overloaded")
    })
    assert.strictEqual(run.status, "failed")
    assert.deepStrictEqual(run.last_error, { code: "server_error", message: "Overloaded" })
    assert.strictEqual(fake.requests.length, before + 3)
  })

  it("429 until the retries run out: rate_limit_exceeded with the upstream's message", async () => {
    const { run } = await runWith(t, { _tag: "json", status: 429, body: error("rate_limit_error", "quota gone") })
    assert.strictEqual(run.status, "failed")
    assert.deepStrictEqual(run.last_error, { code: "rate_limit_exceeded", message: "quota gone" })
  })

  it("a 400 fails the run at once with invalid_prompt", async () => {
    const { fake } = t
    const { before, run } = await runWith(t, {
      _tag: "json",
      status: 400,
      body: error("invalid_request_error", "messages: text content blocks must be non-empty")
    })
    assert.strictEqual(run.status, "failed")
    assert.deepStrictEqual(run.last_error, {
      code: "invalid_prompt",
      message: "messages: text content blocks must be non-empty"
    })
    assert.strictEqual(fake.requests.length, before + 1)
  })

  it("an error event mid-stream fails the run with the upstream's message", async () => {
    const { run } = await runWith(t, {
      _tag: "sse",
      events: events(start(), { type: "error", error: { type: "overloaded_error", message: "Overloaded" } })
    })
    assert.strictEqual(run.status, "failed")
    assert.deepStrictEqual(run.last_error, { code: "server_error", message: "Overloaded" })
  })

  it("a stream cut mid-way fails the run; the message keeps what arrived, incomplete", async () => {
    const { fake, openai } = t
    fake.script({ _tag: "sse", events: events(start(), textStart(0), text(0, "Once upon")), cut: true })
    const { assistant, thread } = await newThread(openai, "a story")
    const run = await openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id }).finalRun()
    assert.strictEqual(run.status, "failed")
    assert.strictEqual(run.last_error?.code, "server_error")
    const reply = (await openai.beta.threads.messages.list(thread.id)).data[0]
    assert.deepStrictEqual([reply.status, reply.incomplete_details?.reason], ["incomplete", "run_failed"])
    assert.strictEqual(reply.content[0].type === "text" ? reply.content[0].text.value : "", "Once upon")
  })

  it("stop_reason max_tokens ends the run incomplete (max_completion_tokens), the limit sent as max_tokens", async () => {
    const { fake, openai } = t
    fake.script({
      _tag: "sse",
      events: events(start(8), textStart(0), text(0, "Long"), stop(0), ...end("max_tokens", 256))
    })
    const { assistant, thread } = await newThread(openai, "a long story")
    const before = fake.requests.length
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistant.id,
      max_completion_tokens: 256,
      temperature: 1.5
    }, poll)
    assert.strictEqual(run.status, "incomplete")
    assert.strictEqual(run.incomplete_details?.reason, "max_completion_tokens")
    assert.strictEqual(fake.requests[before].body.max_tokens, 256)
    // Anthropic's temperature goes to 1
    assert.strictEqual(fake.requests[before].body.temperature, 1)
    assert.deepStrictEqual(fake.violations, [])
  })

  it("a cancel during generation aborts the upstream request: the upstream sees the connection close", async () => {
    const { openai } = t
    const { ended, thread } = await cancelWhileStreaming(t, {
      _tag: "sse",
      events: events(start(), textStart(0), text(0, "Thinking"), text(0, " more", 30)),
      hang: true
    })
    assert.strictEqual(ended.status, "cancelled")
    const reply = (await openai.beta.threads.messages.list(thread.id)).data[0]
    assert.strictEqual(reply.incomplete_details?.reason, "run_cancelled")
  })
})

describe("Anthropic provider, non-streaming upstream", () => {
  const t = setup({ stream: false, maxTokens: 1000 })

  it("image parts: a user turn of text and image blocks, by URL and by file id (with the Files API beta)", async () => {
    const { fake } = t
    const { last, run, sent } = await runWithImages(t, {
      _tag: "json",
      body: message([{ type: "text", text: "A cat." }], "end_turn")
    })
    assert.strictEqual(run.status, "completed")
    const request = fake.requests[fake.requests.length - 1]
    assert.strictEqual(request.path, "/v1/messages?beta=true")
    assert.strictEqual(request.headers["anthropic-beta"], Anthropic.filesBeta)
    assert.strictEqual(sent.max_tokens, 1000)
    // the thread's two user messages are one user turn
    assert.deepStrictEqual(sent.messages, [last])
    assert.deepStrictEqual(last, {
      role: "user",
      content: [
        { type: "text", text: "hello" },
        { type: "text", text: "What is on" },
        { type: "image", source: { type: "url", url: "https://example.com/cat.png" } },
        { type: "text", text: "and here?" },
        { type: "image", source: { type: "file", file_id: "file-cat" } }
      ]
    })
    assert.deepStrictEqual(fake.violations, [])
  })
})
