/**
 * The official `openai` SDK (6.49.0) streaming against the embedded server: each stream helper
 * finishes with the run and messages that `retrieve` returns afterwards, and the non-streaming
 * helpers work with an explicit `stream: false` (the Python SDK always sends it).
 */
import { afterAll, assert, beforeAll, it } from "@effect/vitest"
import { AssistantsServer } from "effect-assistants-server"
import * as ManagedRuntime from "effect/ManagedRuntime"
import OpenAI from "openai"
import type { AssistantStream } from "openai/lib/AssistantStream"
import { fastTimings } from "../utils/Harness.js"
import * as StreamContract from "../utils/StreamContract.js"
import { describeStores } from "./stores.js"

const lookup = {
  type: "function" as const,
  function: {
    name: "lookup",
    parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] }
  }
}

describeStores("the official openai SDK's stream helpers against the embedded server", (store) => {
  const runtime = ManagedRuntime.make(AssistantsServer.layer({ timings: fastTimings, database: store.database() }))
  let openai: OpenAI
  let assistantId: string

  beforeAll(async () => {
    const { url } = await runtime.runPromise(AssistantsServer.AssistantsServer)
    openai = new OpenAI({ apiKey: "sk-any", baseURL: url, maxRetries: 0 })
    assistantId = (await openai.beta.assistants.create({ model: "gpt-4o", tools: [lookup] })).id
  })
  afterAll(() => runtime.dispose())

  /** Every event a helper reports, checked against the stream contract. */
  const recorded = (stream: AssistantStream) => {
    const names: Array<string> = []
    stream.on("event", (e) => {
      names.push(e.event)
      const violation = StreamContract.check(e.event, JSON.stringify(e.data))
      assert.isUndefined(violation, violation)
    })
    return names
  }

  /**
   * The helper's final run, and each message as `messageDone` reports it, are what `retrieve`
   * returns now; `finalMessages` (the SDK's own fold of the deltas, which keeps the status of
   * `thread.message.created` and an `index` in each part) has the same text.
   */
  const matchesRetrieve = async (stream: AssistantStream) => {
    const messages: Array<OpenAI.Beta.Threads.Message> = []
    stream.on("messageDone", (message) => messages.push(message))
    const run = await stream.finalRun()
    assert.deepStrictEqual(await openai.beta.threads.runs.retrieve(run.id, { thread_id: run.thread_id }), run)
    const texts = (list: ReadonlyArray<OpenAI.Beta.Threads.Message>) =>
      list.map((m) => m.content.map((c) => (c.type === "text" ? c.text.value : c.type)).join(""))
    assert.deepStrictEqual(texts(await stream.finalMessages()), texts(messages))
    for (const message of messages) {
      assert.deepStrictEqual(
        await openai.beta.threads.messages.retrieve(message.id, { thread_id: run.thread_id }),
        message
      )
    }
    return run
  }

  it("runs.stream and submitToolOutputsStream: a tool round, arguments complete at toolCallDone", async () => {
    const thread = await openai.beta.threads.create({ messages: [{ role: "user", content: "lookup the answer" }] })
    const first = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistantId })
    const names = recorded(first)
    const done: Array<string> = []
    first.on("toolCallDone", (call) => {
      if (call.type === "function") done.push(call.function.arguments)
    })
    const waiting = await matchesRetrieve(first)
    assert.strictEqual(waiting.status, "requires_action")
    assert.strictEqual(names[names.length - 1], "thread.run.requires_action")
    const call = waiting.required_action!.submit_tool_outputs.tool_calls[0]
    assert.deepStrictEqual(JSON.parse(call.function.arguments), { q: "sample q" })
    assert.deepStrictEqual(done, [call.function.arguments])

    const second = openai.beta.threads.runs.submitToolOutputsStream(waiting.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: call.id, output: "42" }]
    })
    const text: Array<string> = []
    second.on("textDelta", (delta) => text.push(delta.value ?? ""))
    const completed = await matchesRetrieve(second)
    assert.strictEqual(completed.status, "completed")
    assert.strictEqual(text.join(""), "lookup returned 42")
    const [message] = await second.finalMessages()
    assert.strictEqual(message.content[0].type === "text" && message.content[0].text.value, "lookup returned 42")
  })

  it("runs.createAndStream", async () => {
    const thread = await openai.beta.threads.create({ messages: [{ role: "user", content: "hello" }] })
    const run = await matchesRetrieve(
      openai.beta.threads.runs.createAndStream(thread.id, { assistant_id: assistantId })
    )
    assert.strictEqual(run.status, "completed")
  })

  it("threads.createAndRunStream", async () => {
    const stream = openai.beta.threads.createAndRunStream({
      assistant_id: assistantId,
      thread: { messages: [{ role: "user", content: "hello from a new thread" }] }
    })
    const names = recorded(stream)
    const run = await matchesRetrieve(stream)
    assert.strictEqual(run.status, "completed")
    assert.strictEqual(names[0], "thread.created")
    const [message] = await stream.finalMessages()
    assert.strictEqual(
      message.content[0].type === "text" && message.content[0].text.value,
      "You said: hello from a new thread"
    )
  })

  it("runs.create({ stream: true }): the raw events, ending with the run that retrieve returns", async () => {
    const thread = await openai.beta.threads.create({ messages: [{ role: "user", content: "raw events please" }] })
    const events = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistantId, stream: true })
    const seen: Array<OpenAI.Beta.AssistantStreamEvent> = []
    for await (const event of events) seen.push(event)
    const last = seen[seen.length - 1]
    assert.strictEqual(last.event, "thread.run.completed")
    if (last.event === "thread.run.completed") {
      assert.deepStrictEqual(await openai.beta.threads.runs.retrieve(last.data.id, { thread_id: thread.id }), last.data)
    }
    assert.strictEqual(seen[0].event, "thread.run.created")
  })

  it("a failed run: the helper ends with the failed run, not an error", async () => {
    const thread = await openai.beta.threads.create({ messages: [{ role: "user", content: "[fail]" }] })
    const run = await matchesRetrieve(openai.beta.threads.runs.stream(thread.id, { assistant_id: assistantId }))
    assert.strictEqual(run.status, "failed")
  })

  it("the non-streaming helpers with stream: false", async () => {
    const thread = await openai.beta.threads.create({ messages: [{ role: "user", content: "lookup it" }] })
    const waiting = await openai.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistantId,
      stream: false
    }, { pollIntervalMs: 5 })
    assert.strictEqual(waiting.status, "requires_action")
    const call = waiting.required_action!.submit_tool_outputs.tool_calls[0]
    const done = await openai.beta.threads.runs.submitToolOutputsAndPoll(waiting.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: call.id, output: "7" }],
      stream: false
    }, { pollIntervalMs: 5 })
    assert.strictEqual(done.status, "completed")
    const created = await openai.beta.threads.createAndRunPoll({
      assistant_id: assistantId,
      thread: { messages: [{ role: "user", content: "hi" }] },
      stream: false
    }, { pollIntervalMs: 5 })
    assert.strictEqual(created.status, "completed")
    const plain = await openai.beta.threads.runs.create(created.thread_id, { assistant_id: assistantId, stream: null })
    assert.strictEqual(plain.object, "thread.run")
  })
})
