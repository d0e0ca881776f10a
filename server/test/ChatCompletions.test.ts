/**
 * The Chat Completions provider end to end: the official openai SDK as the client of our server,
 * our server as the client of a loopback fake upstream. Every request our server sends, and every
 * reply of the fake, is checked against the vendored Chat Completions contract.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ChatCompletions from "../src/models/ChatCompletions.js"
import {
  callsStreamedLive,
  cancelWhileStreaming,
  completion,
  error,
  newThread,
  poll,
  runWith,
  runWithImages,
  setup as setup_,
  streamGreeting,
  weather
} from "./utils/ProviderHarness.js"

const setup = (options: Partial<ChatCompletions.Options> = {}) =>
  setup_("chat", ChatCompletions.layer, "llama3.2", options)

const chunk = (delta: object, finish: string | null = null) => ({
  data: {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "llama3.2",
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }]
  }
})
const usageChunk = (prompt: number, completion: number) => ({
  data: {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "llama3.2",
    choices: [],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
  }
})
const done = { data: "[DONE]" }

describe("Chat Completions provider, streaming upstream", () => {
  const t = setup()

  it("a text reply: each upstream chunk is a message delta, usage from the upstream, the prompt as sent", async () => {
    const { fake, openai } = t
    fake.script({
      _tag: "sse",
      events: [
        chunk({ role: "assistant", content: "" }),
        chunk({ content: "Hel" }),
        chunk({ content: "lo " }),
        chunk({
          content: "there"
        }),
        chunk({}, "stop"),
        usageChunk(12, 5),
        done
      ]
    })
    const { before, deltas, run, thread } = await streamGreeting(t)
    assert.deepStrictEqual(deltas, ["Hel", "lo ", "there"])
    assert.strictEqual(run.status, "completed")
    assert.deepStrictEqual(run.usage, { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 })
    const messages = await openai.beta.threads.messages.list(thread.id)
    const reply = messages.data[0].content[0]
    assert.strictEqual(reply.type === "text" ? reply.text.value : "", "Hello there")
    assert.strictEqual(fake.requests.length, before + 1)
    const sent = fake.requests[before]
    assert.strictEqual(sent.path, "/v1/chat/completions")
    assert.strictEqual(sent.headers.authorization, "Bearer sk-upstream")
    assert.deepStrictEqual(sent.body, {
      model: "llama3.2",
      messages: [{ role: "system", content: "Be brief.\nAnswer in English." }, { role: "user", content: "hi" }],
      temperature: 0.5,
      top_p: 0.9,
      stream: true,
      stream_options: { include_usage: true }
    })
    assert.deepStrictEqual(fake.violations, [])
  })

  it("a tool round: parallel calls, the tool's schema unchanged upstream, outputs sent back as tool messages", async () => {
    const { fake, openai } = t
    fake.script(
      {
        _tag: "sse",
        events: [
          chunk({
            role: "assistant",
            tool_calls: [{ index: 0, id: "up_1", type: "function", function: { name: "weather", arguments: "" } }]
          }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: "{\"city\":\"Paris\"," } }] }),
          chunk({
            tool_calls: [{ index: 1, id: "up_2", type: "function", function: { name: "weather", arguments: "" } }]
          }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: "\"unit\":\"c\"}" } }] }),
          chunk({ tool_calls: [{ index: 1, function: { arguments: "{\"city\":\"Oslo\",\"unit\":\"c\"}" } }] }),
          chunk({}, "tool_calls"),
          usageChunk(20, 9),
          done
        ]
      },
      {
        _tag: "sse",
        events: [chunk({ content: "Paris 21, Oslo 9." }), chunk({}, "stop"), usageChunk(40, 6), done]
      }
    )
    const tool = { type: "function" as const, function: { name: "weather", parameters: weather, strict: true } }
    const { assistant, thread } = await newThread(openai, "weather in Paris and Oslo?", { tools: [tool] })
    const before = fake.requests.length
    const waiting = await openai.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistant.id,
      tool_choice: "required",
      parallel_tool_calls: true
    }, poll)
    assert.strictEqual(waiting.status, "requires_action")
    const calls = waiting.required_action!.submit_tool_outputs.tool_calls
    assert.deepStrictEqual(calls.map((c) => JSON.parse(c.function.arguments)), [
      { city: "Paris", unit: "c" },
      { city: "Oslo", unit: "c" }
    ])
    const first = fake.requests[before].body
    assert.deepStrictEqual(first.tools, [tool])
    assert.strictEqual(first.tool_choice, "required")
    assert.strictEqual(first.parallel_tool_calls, true)

    const run = await openai.beta.threads.runs.submitToolOutputsAndPoll(waiting.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: calls[0].id, output: "21" }, { tool_call_id: calls[1].id, output: "9" }]
    }, poll)
    assert.strictEqual(run.status, "completed")
    assert.deepStrictEqual(run.usage, { prompt_tokens: 60, completion_tokens: 15, total_tokens: 75 })
    const second = fake.requests[before + 1].body
    assert.deepStrictEqual(second.messages.slice(2), [
      {
        role: "assistant",
        content: null,
        tool_calls: calls.map((c) => ({ id: c.id, type: "function", function: c.function }))
      },
      { role: "tool", tool_call_id: calls[0].id, content: "21" },
      { role: "tool", tool_call_id: calls[1].id, content: "9" }
    ])
    const steps = await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: "asc" })
    assert.deepStrictEqual(steps.data.map((s) => s.type), ["tool_calls", "message_creation"])
    assert.deepStrictEqual(fake.violations, [])
  })

  it("streamed calls: each piece of arguments reaches the client as a step delta before the upstream finishes", () =>
    callsStreamedLive(t, (latch) => ({
      _tag: "sse",
      events: [
        chunk({
          role: "assistant",
          tool_calls: [{ index: 0, id: "up_1", type: "function", function: { name: "weather", arguments: "" } }]
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: "{\"city\":\"Paris\"," } }] }),
        { ...chunk({ tool_calls: [{ index: 0, function: { arguments: "\"unit\":\"c\"}" } }] }), until: latch },
        chunk({
          tool_calls: [{ index: 1, id: "up_2", type: "function", function: { name: "weather", arguments: "" } }]
        }),
        chunk({ tool_calls: [{ index: 1, function: { arguments: "{\"city\":\"Oslo\"," } }] }),
        chunk({ tool_calls: [{ index: 1, function: { arguments: "\"unit\":\"c\"}" } }] }),
        chunk({}, "tool_calls"),
        usageChunk(20, 9),
        done
      ]
    })))

  it("text before streamed calls: its message completes before the calls' step opens", async () => {
    const { fake, openai } = t
    fake.script({
      _tag: "sse",
      events: [
        chunk({ role: "assistant", content: "Let me look." }),
        chunk({
          tool_calls: [{ index: 0, id: "up_1", type: "function", function: { name: "weather", arguments: "" } }]
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: "{\"city\":\"Paris\",\"unit\":\"c\"}" } }] }),
        chunk({}, "tool_calls"),
        usageChunk(20, 9),
        done
      ]
    })
    const tool = { type: "function" as const, function: { name: "weather", parameters: weather } }
    const { assistant, thread } = await newThread(openai, "weather in Paris?", { tools: [tool] })
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id })
    const seen: Array<string> = []
    stream.on("event", (e) => seen.push(e.event === "thread.run.step.created" ? `step:${e.data.type}` : e.event))
    const run = await stream.finalRun()
    assert.strictEqual(run.status, "requires_action")
    assert.deepStrictEqual(seen.slice(seen.indexOf("thread.message.delta")), [
      "thread.message.delta",
      "thread.message.completed",
      "thread.run.step.completed",
      "step:tool_calls",
      "thread.run.step.in_progress",
      "thread.run.step.delta",
      "thread.run.step.delta",
      "thread.run.requires_action"
    ])
    const message = (await openai.beta.threads.messages.list(thread.id)).data[0]
    assert.deepStrictEqual([message.role, message.status], ["assistant", "completed"])
    assert.strictEqual(message.content[0].type === "text" ? message.content[0].text.value : "", "Let me look.")
    const steps = await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: "asc" })
    assert.deepStrictEqual(steps.data.map((s) => [s.type, s.status]), [
      ["message_creation", "completed"],
      ["tool_calls", "in_progress"]
    ])
    // the turn's counts reach the message's step once the upstream gave them
    assert.deepStrictEqual(steps.data[0].usage, { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 })
    assert.deepStrictEqual(fake.violations, [])
  })

  it("a 429 with retry-after is retried, and the run completes", async () => {
    const { fake } = t
    const { before, run } = await runWith(t, {
      _tag: "json",
      status: 429,
      body: error("slow down", "rate_limit_exceeded"),
      headers: { "retry-after": "0" }
    }, { _tag: "sse", events: [chunk({ content: "ok" }), chunk({}, "stop"), done] })
    assert.strictEqual(run.status, "completed")
    assert.strictEqual(fake.requests.length, before + 2)
  })

  it("429 until the retries run out: rate_limit_exceeded with the upstream's message", async () => {
    const { fake } = t
    const { before, run } = await runWith(t, {
      _tag: "json",
      status: 429,
      body: error("quota gone", "rate_limit_exceeded")
    })
    assert.strictEqual(run.status, "failed")
    assert.deepStrictEqual(run.last_error, { code: "rate_limit_exceeded", message: "quota gone" })
    assert.strictEqual(fake.requests.length, before + 3)
  })

  it("a 500 is retried, then the run fails with server_error and the upstream's message", async () => {
    const { fake } = t
    const { before, run } = await runWith(t, { _tag: "json", status: 500, body: error("the GPU caught fire") })
    assert.strictEqual(run.status, "failed")
    assert.deepStrictEqual(run.last_error, { code: "server_error", message: "the GPU caught fire" })
    assert.strictEqual(fake.requests.length, before + 3)
  })

  it("a 400 fails the run at once with invalid_prompt", async () => {
    const { fake } = t
    const { before, run } = await runWith(t, {
      _tag: "json",
      status: 400,
      body: error("model 'llama3.2' not found", "invalid_request_error")
    })
    assert.strictEqual(run.status, "failed")
    assert.deepStrictEqual(run.last_error, { code: "invalid_prompt", message: "model 'llama3.2' not found" })
    assert.strictEqual(fake.requests.length, before + 1)
  })

  it("a stream cut mid-way fails the run; the message keeps what arrived, incomplete", async () => {
    const { fake, openai } = t
    fake.script({ _tag: "sse", events: [chunk({ content: "Once upon" })], cut: true })
    const { assistant, thread } = await newThread(openai, "a story")
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id })
    const run = await stream.finalRun()
    assert.strictEqual(run.status, "failed")
    assert.strictEqual(run.last_error?.code, "server_error")
    const message = (await openai.beta.threads.messages.list(thread.id)).data[0]
    assert.strictEqual(message.role, "assistant")
    assert.strictEqual(message.status, "incomplete")
    assert.strictEqual(message.incomplete_details?.reason, "run_failed")
    assert.strictEqual(message.content[0].type === "text" ? message.content[0].text.value : "", "Once upon")
  })

  it("finish_reason length ends the run incomplete (max_completion_tokens), the limit sent upstream", async () => {
    const { fake, openai } = t
    fake.script({ _tag: "sse", events: [chunk({ content: "Long" }), chunk({}, "length"), usageChunk(8, 256), done] })
    const { assistant, thread } = await newThread(openai, "a long story")
    const before = fake.requests.length
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistant.id,
      max_completion_tokens: 256
    }, poll)
    assert.strictEqual(run.status, "incomplete")
    assert.strictEqual(run.incomplete_details?.reason, "max_completion_tokens")
    assert.strictEqual(fake.requests[before].body.max_completion_tokens, 256)
  })

  it("a cancel during generation aborts the upstream request: the upstream sees the connection close", async () => {
    const { openai } = t
    const { ended, thread } = await cancelWhileStreaming(t, {
      _tag: "sse",
      events: [chunk({ content: "Thinking" }), chunk({ content: " more", delay: 30 })],
      hang: true
    })
    assert.strictEqual(ended.status, "cancelled")
    const message = (await openai.beta.threads.messages.list(thread.id)).data[0]
    assert.strictEqual(message.incomplete_details?.reason, "run_cancelled")
  })
})

describe("Chat Completions provider, non-streaming upstream", () => {
  const t = setup({ stream: false })

  it("image parts: a user message with an image_url goes as text and image_url parts; image_file is left out", async () => {
    const { fake } = t
    const { first, last, run } = await runWithImages(t, {
      _tag: "json",
      body: completion({ content: "A cat." }, "stop")
    })
    assert.strictEqual(run.status, "completed")
    assert.deepStrictEqual(first, { role: "user", content: "hello" })
    assert.deepStrictEqual(last, {
      role: "user",
      content: [
        { type: "text", text: "What is on" },
        { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "low" } },
        { type: "text", text: "and here?" }
      ]
    })
    assert.deepStrictEqual(fake.violations, [])
  })

  it("text, response_format and truncation_strategy passed through; usage from the upstream", async () => {
    const { fake, openai } = t
    fake.script({ _tag: "json", body: completion({ content: "{\"ok\":true}" }, "stop", 7, 4) })
    const { assistant, thread } = await newThread(openai, "first")
    await openai.beta.threads.messages.create(thread.id, { role: "user", content: "second" })
    const before = fake.requests.length
    const format = {
      type: "json_schema" as const,
      json_schema: { name: "answer", schema: { type: "object", properties: { ok: { type: "boolean" } } }, strict: true }
    }
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistant.id,
      response_format: format,
      truncation_strategy: { type: "last_messages", last_messages: 1 }
    }, poll)
    assert.strictEqual(run.status, "completed")
    assert.deepStrictEqual(run.usage, { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 })
    const sent = fake.requests[before].body
    assert.deepStrictEqual(sent.response_format, format)
    assert.deepStrictEqual(sent.messages, [{ role: "system", content: "Be brief." }, {
      role: "user",
      content: "second"
    }])
    assert.isUndefined(sent.stream)
    assert.deepStrictEqual(fake.violations, [])
  })

  it("file_search and code_interpreter tools are not sent: the model sees the function tools only", async () => {
    const { fake, openai } = t
    fake.script({ _tag: "json", body: completion({ content: "no tools needed" }, "stop") })
    const tool = { type: "function" as const, function: { name: "weather", parameters: weather } }
    const { assistant, thread } = await newThread(openai, "hi", {
      tools: [{ type: "code_interpreter" }, { type: "file_search" }, tool]
    })
    const before = fake.requests.length
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll)
    assert.strictEqual(run.status, "completed")
    assert.deepStrictEqual(run.tools.map((x) => x.type), ["code_interpreter", "file_search", "function"])
    assert.deepStrictEqual(fake.requests[before].body.tools, [tool])
    const only = await newThread(openai, "hi", { tools: [{ type: "code_interpreter" }] })
    const next = fake.requests.length
    const plain = await openai.beta.threads.runs.createAndPoll(only.thread.id, {
      assistant_id: only.assistant.id,
      tool_choice: { type: "file_search" }
    }, poll)
    assert.strictEqual(plain.status, "completed")
    assert.isUndefined(fake.requests[next].body.tools)
    assert.isUndefined(fake.requests[next].body.tool_choice)
    assert.deepStrictEqual(fake.violations, [])
  })

  it("parallel tool calls in one completion; max_prompt_tokens over the turns ends the run incomplete", async () => {
    const { fake, openai } = t
    fake.script(
      {
        _tag: "json",
        body: completion(
          {
            content: null,
            tool_calls: [
              {
                id: "a",
                type: "function",
                function: { name: "weather", arguments: "{\"city\":\"Rome\",\"unit\":\"c\"}" }
              },
              {
                id: "b",
                type: "function",
                function: { name: "weather", arguments: "{\"city\":\"Bern\",\"unit\":\"c\"}" }
              }
            ]
          },
          "tool_calls",
          200,
          20
        )
      },
      { _tag: "json", body: completion({ content: "done" }, "stop", 250, 2) }
    )
    const tool = {
      type: "function" as const,
      function: { name: "weather", description: "Weather", parameters: weather }
    }
    const { assistant, thread } = await newThread(openai, "weather?", { tools: [tool] })
    const before = fake.requests.length
    const waiting = await openai.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistant.id,
      max_prompt_tokens: 400,
      tool_choice: { type: "function", function: { name: "weather" } },
      parallel_tool_calls: false
    }, poll)
    assert.strictEqual(waiting.status, "requires_action")
    assert.strictEqual(waiting.required_action!.submit_tool_outputs.tool_calls.length, 2)
    const first = fake.requests[before].body
    assert.deepStrictEqual(first.tools, [tool])
    assert.deepStrictEqual(first.tool_choice, { type: "function", function: { name: "weather" } })
    assert.strictEqual(first.parallel_tool_calls, false)
    const run = await openai.beta.threads.runs.submitToolOutputsAndPoll(waiting.id, {
      thread_id: thread.id,
      tool_outputs: waiting.required_action!.submit_tool_outputs.tool_calls.map((c) => ({
        tool_call_id: c.id,
        output: "20"
      }))
    }, poll)
    assert.strictEqual(run.status, "incomplete")
    assert.strictEqual(run.incomplete_details?.reason, "max_prompt_tokens")
    assert.deepStrictEqual(fake.violations, [])
  })
})
