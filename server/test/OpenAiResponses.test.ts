/**
 * The OpenAI Responses provider (through @effect/ai-openai's client) end to end: the official
 * openai SDK as the client of our server, our server as the client of a loopback fake Responses
 * upstream. Every request our server sends, and every reply of the fake, is checked against the
 * vendored Responses contract.
 */
import { assert, describe, it } from "@effect/vitest"
import type * as Deferred from "effect/Deferred"
import * as OpenAiResponses from "../src/models/OpenAiResponses.js"
import {
  callsStreamedLive,
  cancelWhileStreaming,
  error,
  newThread,
  poll,
  runWith,
  runWithImages,
  setup as setup_,
  streamGreeting,
  weather
} from "./utils/ProviderHarness.js"

const setup = (options: Partial<OpenAiResponses.Options> = {}) =>
  setup_("responses", OpenAiResponses.layer, "gpt-5-mini", options)

const usage = (input: number, output: number) => ({
  input_tokens: input,
  input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
  output_tokens: output,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: input + output
})
const response = (output: ReadonlyArray<object>, extra: object = {}) => ({
  id: "resp_1",
  object: "response",
  created_at: 1,
  status: "completed",
  error: null,
  incomplete_details: null,
  instructions: null,
  model: "gpt-5-mini",
  tools: [],
  output,
  parallel_tool_calls: true,
  metadata: {},
  tool_choice: "auto",
  temperature: 1,
  top_p: 1,
  usage: usage(10, 3),
  ...extra
})
const messageItem = (text: string) => ({
  id: "msg_1",
  type: "message",
  role: "assistant",
  status: "completed",
  content: [{ type: "output_text", text, annotations: [], logprobs: [] }]
})
const callItem = (id: string, callId: string, args: string) => ({
  id,
  type: "function_call",
  call_id: callId,
  name: "weather",
  arguments: args,
  status: "completed"
})
/** SSE events in order, named by their type, sequence numbers from 0 (`delay`, `until`: see FakeUpstream). */
const events = (
  ...data: ReadonlyArray<
    {
      readonly type: string
      readonly delay?: number
      readonly until?: Deferred.Deferred<void>
      readonly [key: string]: unknown
    }
  >
) =>
  data.map(({ delay, until, ...d }, i) => ({
    event: d.type,
    data: { ...d, sequence_number: i },
    ...(delay !== undefined ? { delay } : {}),
    ...(until !== undefined ? { until } : {})
  }))
const created = { type: "response.created", response: response([], { status: "in_progress" }) }
const textDelta = (delta: string, delay?: number) => ({
  type: "response.output_text.delta",
  item_id: "msg_1",
  output_index: 0,
  content_index: 0,
  delta,
  logprobs: [],
  ...(delay !== undefined ? { delay } : {})
})
const completed = (output: ReadonlyArray<object>, extra: object = {}) => ({
  type: "response.completed",
  response: response(output, extra)
})

describe("OpenAI Responses provider, streaming upstream", () => {
  const t = setup()

  it("a text reply: each upstream delta is a message delta, usage from the upstream, the request as sent", async () => {
    const { fake, openai } = t
    fake.script({
      _tag: "sse",
      events: events(
        created,
        textDelta("Hel"),
        textDelta("lo "),
        textDelta("there"),
        completed([messageItem("Hello there")], { usage: usage(12, 5) })
      )
    })
    const { before, deltas, run, thread } = await streamGreeting(t)
    assert.deepStrictEqual(deltas, ["Hel", "lo ", "there"])
    assert.strictEqual(run.status, "completed")
    assert.deepStrictEqual(run.usage, { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 })
    const reply = (await openai.beta.threads.messages.list(thread.id)).data[0].content[0]
    assert.strictEqual(reply.type === "text" ? reply.text.value : "", "Hello there")
    const sent = fake.requests[before]
    assert.strictEqual(sent.path, "/v1/responses")
    assert.strictEqual(sent.headers.authorization, "Bearer sk-upstream")
    assert.deepStrictEqual(sent.body, {
      model: "gpt-5-mini",
      instructions: "Be brief.\nAnswer in English.",
      input: [{ type: "message", role: "user", content: "hi" }],
      temperature: 0.5,
      top_p: 0.9,
      store: false,
      stream: true
    })
    assert.deepStrictEqual(fake.violations, [])
  })

  it("a tool round: parallel calls, the tool's schema and strict unchanged upstream, outputs sent back as given", async () => {
    const { fake, openai } = t
    const paris = callItem("fc_1", "up_1", "{\"city\":\"Paris\",\"unit\":\"c\"}")
    const oslo = callItem("fc_2", "up_2", "{\"city\":\"Oslo\",\"unit\":\"c\"}")
    fake.script(
      {
        _tag: "sse",
        events: events(
          created,
          {
            type: "response.function_call_arguments.delta",
            item_id: "fc_1",
            output_index: 0,
            delta: "{\"city\":\"Paris\","
          },
          {
            type: "response.function_call_arguments.delta",
            item_id: "fc_1",
            output_index: 0,
            delta: "\"unit\":\"c\"}"
          },
          { type: "response.output_item.done", output_index: 0, item: paris },
          { type: "response.output_item.done", output_index: 1, item: oslo },
          completed([paris, oslo], { usage: usage(20, 9) })
        )
      },
      {
        _tag: "sse",
        events: events(
          created,
          textDelta("Paris 21, Oslo 9."),
          completed([messageItem("Paris 21, Oslo 9.")], { usage: usage(40, 6) })
        )
      }
    )
    const tool = {
      type: "function" as const,
      function: { name: "weather", description: "Weather", parameters: weather, strict: true }
    }
    const { assistant, thread } = await newThread(openai, "weather in Paris and Oslo?", { tools: [tool] })
    const before = fake.requests.length
    const waiting = await openai.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistant.id,
      tool_choice: { type: "function", function: { name: "weather" } },
      parallel_tool_calls: true
    }, poll)
    assert.strictEqual(waiting.status, "requires_action")
    const calls = waiting.required_action!.submit_tool_outputs.tool_calls
    assert.deepStrictEqual(calls.map((c) => JSON.parse(c.function.arguments)), [
      { city: "Paris", unit: "c" },
      { city: "Oslo", unit: "c" }
    ])
    const first = fake.requests[before].body
    assert.deepStrictEqual(first.tools, [{
      type: "function",
      name: "weather",
      description: "Weather",
      parameters: weather,
      strict: true
    }])
    assert.deepStrictEqual(first.tool_choice, { type: "function", name: "weather" })
    assert.strictEqual(first.parallel_tool_calls, true)

    const run = await openai.beta.threads.runs.submitToolOutputsAndPoll(waiting.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: calls[0].id, output: "21" }, { tool_call_id: calls[1].id, output: "9" }]
    }, poll)
    assert.strictEqual(run.status, "completed")
    assert.deepStrictEqual(run.usage, { prompt_tokens: 60, completion_tokens: 15, total_tokens: 75 })
    assert.deepStrictEqual(fake.requests[before + 1].body.input.slice(1), [
      { type: "function_call", call_id: calls[0].id, name: "weather", arguments: calls[0].function.arguments },
      { type: "function_call", call_id: calls[1].id, name: "weather", arguments: calls[1].function.arguments },
      { type: "function_call_output", call_id: calls[0].id, output: "21" },
      { type: "function_call_output", call_id: calls[1].id, output: "9" }
    ])
    assert.deepStrictEqual(fake.violations, [])
  })

  it("streamed calls: each piece of arguments reaches the client as a step delta before the upstream finishes", () => {
    const paris = callItem("fc_1", "up_1", "{\"city\":\"Paris\",\"unit\":\"c\"}")
    const oslo = callItem("fc_2", "up_2", "{\"city\":\"Oslo\",\"unit\":\"c\"}")
    const argsDelta = (item: string, output: number, delta: string) => ({
      type: "response.function_call_arguments.delta",
      item_id: item,
      output_index: output,
      delta
    })
    return callsStreamedLive(t, (latch) => ({
      _tag: "sse",
      events: events(
        created,
        {
          type: "response.output_item.added",
          output_index: 0,
          item: { ...paris, arguments: "", status: "in_progress" }
        },
        argsDelta("fc_1", 0, "{\"city\":\"Paris\","),
        { ...argsDelta("fc_1", 0, "\"unit\":\"c\"}"), until: latch },
        { type: "response.output_item.done", output_index: 0, item: paris },
        {
          type: "response.output_item.added",
          output_index: 1,
          item: { ...oslo, arguments: "", status: "in_progress" }
        },
        argsDelta("fc_2", 1, "{\"city\":\"Oslo\","),
        argsDelta("fc_2", 1, "\"unit\":\"c\"}"),
        { type: "response.output_item.done", output_index: 1, item: oslo },
        completed([paris, oslo], { usage: usage(20, 9) })
      )
    }))
  })

  it("a 429 with retry-after is retried, and the run completes", async () => {
    const { fake } = t
    const { before, run } = await runWith(t, {
      _tag: "json",
      status: 429,
      body: error("slow down", "rate_limit_exceeded"),
      headers: { "retry-after": "0" }
    }, { _tag: "sse", events: events(created, textDelta("ok"), completed([messageItem("ok")])) })
    assert.strictEqual(run.status, "completed")
    assert.strictEqual(fake.requests.length, before + 2)
  })

  it("a 500 is retried, then the run fails with server_error and the upstream's message", async () => {
    const { fake } = t
    const { before, run } = await runWith(t, { _tag: "json", status: 500, body: error("the GPU caught fire") })
    assert.strictEqual(run.status, "failed")
    assert.deepStrictEqual(run.last_error, { code: "server_error", message: "the GPU caught fire" })
    assert.strictEqual(fake.requests.length, before + 3)
  })

  it("429 until the retries run out: rate_limit_exceeded with the upstream's message", async () => {
    const { run } = await runWith(t, { _tag: "json", status: 429, body: error("quota gone", "rate_limit_exceeded") })
    assert.strictEqual(run.status, "failed")
    assert.deepStrictEqual(run.last_error, { code: "rate_limit_exceeded", message: "quota gone" })
  })

  it("a 400 fails the run at once with invalid_prompt", async () => {
    const { fake } = t
    const { before, run } = await runWith(t, {
      _tag: "json",
      status: 400,
      body: error("Unknown model gpt-5-mini", "invalid_request_error")
    })
    assert.strictEqual(run.status, "failed")
    assert.deepStrictEqual(run.last_error, { code: "invalid_prompt", message: "Unknown model gpt-5-mini" })
    assert.strictEqual(fake.requests.length, before + 1)
  })

  it("a stream cut mid-way fails the run; the message keeps what arrived, incomplete", async () => {
    const { fake, openai } = t
    fake.script({ _tag: "sse", events: events(created, textDelta("Once upon")), cut: true })
    const { assistant, thread } = await newThread(openai, "a story")
    const run = await openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id }).finalRun()
    assert.strictEqual(run.status, "failed")
    assert.strictEqual(run.last_error?.code, "server_error")
    const message = (await openai.beta.threads.messages.list(thread.id)).data[0]
    assert.strictEqual(message.role, "assistant")
    assert.strictEqual(message.incomplete_details?.reason, "run_failed")
    assert.strictEqual(message.content[0].type === "text" ? message.content[0].text.value : "", "Once upon")
  })

  it("an incomplete response ends the run incomplete (max_completion_tokens), the limit sent as max_output_tokens", async () => {
    const { fake, openai } = t
    fake.script({
      _tag: "sse",
      events: events(created, textDelta("Long"), {
        type: "response.incomplete",
        response: response([messageItem("Long")], {
          status: "incomplete",
          incomplete_details: { reason: "max_output_tokens" },
          usage: usage(8, 256)
        })
      })
    })
    const { assistant, thread } = await newThread(openai, "a long story")
    const before = fake.requests.length
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistant.id,
      max_completion_tokens: 256
    }, poll)
    assert.strictEqual(run.status, "incomplete")
    assert.strictEqual(run.incomplete_details?.reason, "max_completion_tokens")
    assert.strictEqual(fake.requests[before].body.max_output_tokens, 256)
    assert.deepStrictEqual(fake.violations, [])
  })

  it("a cancel during generation aborts the upstream request: the upstream sees the connection close", async () => {
    const { ended } = await cancelWhileStreaming(t, {
      _tag: "sse",
      events: events(created, textDelta("Thinking"), textDelta(" more", 30)),
      hang: true
    })
    assert.strictEqual(ended.status, "cancelled")
  })
})

describe("OpenAI Responses provider, non-streaming upstream", () => {
  const t = setup({ stream: false })

  it("image parts: a user message with images goes as input_text and input_image parts, by URL and by file id", async () => {
    const { fake } = t
    const { first, last, run } = await runWithImages(t, { _tag: "json", body: response([messageItem("A cat.")]) })
    assert.strictEqual(run.status, "completed")
    assert.deepStrictEqual(first, { type: "message", role: "user", content: "hello" })
    assert.deepStrictEqual(last, {
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: "What is on" },
        { type: "input_image", image_url: "https://example.com/cat.png", detail: "low" },
        { type: "input_text", text: "and here?" },
        { type: "input_image", file_id: "file-cat", detail: "auto" }
      ]
    })
    assert.deepStrictEqual(fake.violations, [])
  })

  it("text, response_format as text.format, truncation_strategy; usage from the upstream", async () => {
    const { fake, openai } = t
    fake.script({ _tag: "json", body: response([messageItem("{\"ok\":true}")], { usage: usage(7, 4) }) })
    const { assistant, thread } = await newThread(openai, "first")
    await openai.beta.threads.messages.create(thread.id, { role: "user", content: "second" })
    const before = fake.requests.length
    const schema = {
      type: "object",
      properties: { ok: { type: "boolean" } },
      required: ["ok"],
      additionalProperties: false
    }
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistant.id,
      response_format: { type: "json_schema", json_schema: { name: "answer", schema, strict: true } },
      truncation_strategy: { type: "last_messages", last_messages: 1 }
    }, poll)
    assert.strictEqual(run.status, "completed")
    assert.deepStrictEqual(run.usage, { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 })
    const sent = fake.requests[before].body
    assert.deepStrictEqual(sent.text, { format: { type: "json_schema", name: "answer", schema, strict: true } })
    assert.deepStrictEqual(sent.input, [{ type: "message", role: "user", content: "second" }])
    const reply = (await openai.beta.threads.messages.list(thread.id)).data[0].content[0]
    assert.strictEqual(reply.type === "text" ? reply.text.value : "", "{\"ok\":true}")
    assert.deepStrictEqual(fake.violations, [])
  })

  it("tool calls in one response, then a failed response: server_error with its message", async () => {
    const { fake, openai } = t
    fake.script(
      { _tag: "json", body: response([callItem("fc_1", "a", "{\"city\":\"Rome\",\"unit\":\"c\"}")]) },
      {
        _tag: "json",
        body: response([], { status: "failed", error: { code: "server_error", message: "model crashed" } })
      }
    )
    const tool = { type: "function" as const, function: { name: "weather", parameters: weather } }
    const { assistant, thread } = await newThread(openai, "weather?", { tools: [tool] })
    const waiting = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll)
    assert.strictEqual(waiting.status, "requires_action")
    const call = waiting.required_action!.submit_tool_outputs.tool_calls[0]
    const run = await openai.beta.threads.runs.submitToolOutputsAndPoll(waiting.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: call.id, output: "20" }]
    }, poll)
    assert.strictEqual(run.status, "failed")
    assert.deepStrictEqual(run.last_error, { code: "server_error", message: "model crashed" })
    assert.deepStrictEqual(fake.violations, [])
  })
})
