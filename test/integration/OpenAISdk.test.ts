/**
 * The official `openai` SDK (6.49.0) against the embedded server: what an existing
 * Assistants-shaped application does, with no changes but the base URL.
 */
import { afterAll, assert, beforeAll, it } from "@effect/vitest"
import { AssistantsServer } from "effect-assistants-server"
import * as ManagedRuntime from "effect/ManagedRuntime"
import OpenAI from "openai"
import { fastTimings } from "../utils/Harness.js"
import { describeStores } from "./stores.js"

describeStores("the official openai SDK against the embedded server", (store) => {
  const runtime = ManagedRuntime.make(
    AssistantsServer.layer({ apiKeys: ["sk-sdk-test"], timings: fastTimings, database: store.database() })
  )
  let openai: OpenAI

  beforeAll(async () => {
    const { url } = await runtime.runPromise(AssistantsServer.AssistantsServer)
    openai = new OpenAI({ apiKey: "sk-sdk-test", baseURL: url, maxRetries: 0 })
  })
  afterAll(() => runtime.dispose())

  it("creates, polls, answers tool calls, auto-paginates and deletes", async () => {
    const assistant = await openai.beta.assistants.create({
      model: "gpt-4o",
      name: "SDK test",
      tools: [{
        type: "function",
        function: {
          name: "lookup",
          parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] }
        }
      }]
    })
    assert.match(assistant.id, /^asst_/)
    const thread = await openai.beta.threads.create()
    await openai.beta.threads.messages.create(thread.id, { role: "user", content: "please lookup something" })

    const waiting = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, {
      pollIntervalMs: 5
    })
    assert.strictEqual(waiting.status, "requires_action")
    const call = waiting.required_action!.submit_tool_outputs.tool_calls[0]
    assert.strictEqual(call.function.name, "lookup")
    assert.deepStrictEqual(JSON.parse(call.function.arguments), { q: "sample q" })

    const done = await openai.beta.threads.runs.submitToolOutputsAndPoll(
      waiting.id,
      { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: "42" }] },
      { pollIntervalMs: 5 }
    )
    assert.strictEqual(done.status, "completed")

    for (let i = 0; i < 5; i++) await openai.beta.threads.messages.create(thread.id, { role: "user", content: `m${i}` })
    const seen: Array<string> = []
    for await (const message of openai.beta.threads.messages.list(thread.id, { limit: 2, order: "asc" })) {
      seen.push(message.content[0].type === "text" ? message.content[0].text.value : "")
    }
    assert.deepStrictEqual(seen, ["please lookup something", "lookup returned 42", "m0", "m1", "m2", "m3", "m4"])

    const simple = await openai.beta.threads.createAndRunPoll({
      assistant_id: assistant.id,
      thread: { messages: [{ role: "user", content: "hi" }] }
    }, { pollIntervalMs: 5 })
    assert.strictEqual(simple.status, "completed")

    const steps = await openai.beta.threads.runs.steps.list(done.id, { thread_id: thread.id })
    assert.strictEqual(steps.data.length, 2)

    assert.strictEqual((await openai.beta.threads.delete(thread.id)).deleted, true)
    assert.strictEqual((await openai.beta.assistants.delete(assistant.id)).deleted, true)
    const missing = await openai.beta.assistants.retrieve(assistant.id).catch((e) => e)
    assert.instanceOf(missing, OpenAI.NotFoundError)
  })

  it("a wrong key is a 401 the SDK recognises", async () => {
    const { url } = await runtime.runPromise(AssistantsServer.AssistantsServer)
    const wrong = new OpenAI({ apiKey: "sk-wrong", baseURL: url, maxRetries: 0 })
    const error = await wrong.beta.assistants.list().catch((e) => e)
    assert.instanceOf(error, OpenAI.AuthenticationError)
  })
})
