import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { Assistants, AssistantsLive, Messages, Runs, RunSteps, Threads } from "../src/index.js"
import * as fx from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

const layerFor = (reply: unknown, options: Parameters<typeof AssistantsLive.layer>[0] = {}) => {
  const mock = MockHttp.make(() => ({ body: reply }))
  const layer = AssistantsLive.layer({
    apiKey: Redacted.make("sk-test-key"),
    baseUrl: "http://api.test/v1",
    organization: "org_1",
    project: "proj_1",
    ...options
  }).pipe(Layer.provide(mock.layer))
  return { mock, layer }
}

interface Case {
  readonly name: string
  readonly reply: unknown
  readonly call: Effect.Effect<unknown, unknown, AssistantsLive.Services>
  readonly method: string
  readonly path: string
  readonly query?: ReadonlyArray<readonly [string, string]>
  readonly body?: unknown
  readonly check: (result: any) => void
}

const include = ["step_details.tool_calls[*].file_search.results[*].content"] as const

const cases: ReadonlyArray<Case> = [
  {
    name: "Assistants.list",
    reply: fx.page([fx.assistant], true),
    call: Assistants.list({ limit: 2, order: "asc", after: "asst_a", before: "asst_z" }),
    method: "GET",
    path: "/v1/assistants",
    query: [["limit", "2"], ["order", "asc"], ["after", "asst_a"], ["before", "asst_z"]],
    check: (page) => {
      assert.strictEqual(page.firstId, "asst_abc123")
      assert.strictEqual(page.hasMore, true)
      assert.strictEqual(page.data[0].createdAt, 1698984975)
    }
  },
  {
    name: "Assistants.create",
    reply: fx.assistant,
    call: Assistants.create({
      model: "gpt-4o",
      name: "Math Tutor",
      topP: 0.5,
      reasoningEffort: "low",
      toolResources: { codeInterpreter: { fileIds: ["file_1"] } },
      tools: [{
        type: "function",
        function: { name: "get_weather", parameters: { type: "object", properties: { city_name: { type: "string" } } } }
      }],
      metadata: { user_key: "v" },
      responseFormat: {
        type: "json_schema",
        jsonSchema: { name: "out", schema: { type: "object", additionalProperties: false } }
      }
    }),
    method: "POST",
    path: "/v1/assistants",
    body: {
      model: "gpt-4o",
      name: "Math Tutor",
      top_p: 0.5,
      reasoning_effort: "low",
      tool_resources: { code_interpreter: { file_ids: ["file_1"] } },
      tools: [{
        type: "function",
        function: { name: "get_weather", parameters: { type: "object", properties: { city_name: { type: "string" } } } }
      }],
      metadata: { user_key: "v" },
      response_format: {
        type: "json_schema",
        json_schema: { name: "out", schema: { type: "object", additionalProperties: false } }
      }
    },
    check: (a) => {
      assert.strictEqual(a.id, "asst_abc123")
      assert.deepStrictEqual(a.toolResources, { codeInterpreter: { fileIds: ["file_1"] } })
      assert.deepStrictEqual(a.metadata, { user_key: "Value" })
      assert.deepStrictEqual(a.tools[1].function.parameters.properties, { city_name: { type: "string" } })
      assert.strictEqual(a.description, null)
    }
  },
  {
    name: "Assistants.get",
    reply: fx.assistant,
    call: Assistants.get({ assistantId: "asst_abc123" }),
    method: "GET",
    path: "/v1/assistants/asst_abc123",
    check: (a) => assert.strictEqual(a.topP, 1)
  },
  {
    name: "Assistants.modify",
    reply: fx.assistant,
    call: Assistants.modify({ assistantId: "asst_abc123", instructions: "Be brief.", metadata: null }),
    method: "POST",
    path: "/v1/assistants/asst_abc123",
    body: { instructions: "Be brief.", metadata: null },
    check: (a) => assert.strictEqual(a.object, "assistant")
  },
  {
    name: "Assistants.delete",
    reply: { id: "asst_abc123", object: "assistant.deleted", deleted: true },
    call: Assistants.delete({ assistantId: "asst_abc123" }),
    method: "DELETE",
    path: "/v1/assistants/asst_abc123",
    check: (d) => assert.deepStrictEqual(d, { id: "asst_abc123", object: "assistant.deleted", deleted: true })
  },
  {
    name: "Threads.create",
    reply: fx.thread,
    call: Threads.create({
      messages: [{ role: "user", content: [{ type: "image_file", imageFile: { fileId: "file_2", detail: "low" } }] }],
      toolResources: { fileSearch: { vectorStoreIds: ["vs_1"] } }
    }),
    method: "POST",
    path: "/v1/threads",
    body: {
      messages: [{ role: "user", content: [{ type: "image_file", image_file: { file_id: "file_2", detail: "low" } }] }],
      tool_resources: { file_search: { vector_store_ids: ["vs_1"] } }
    },
    check: (t) => {
      assert.strictEqual(t.toolResources, null)
      assert.strictEqual(t.createdAt, 1699012949)
    }
  },
  {
    name: "Threads.create (no body)",
    reply: fx.thread,
    call: Threads.create(),
    method: "POST",
    path: "/v1/threads",
    body: {},
    check: (t) => assert.strictEqual(t.id, "thread_abc123")
  },
  {
    name: "Threads.get",
    reply: fx.thread,
    call: Threads.get({ threadId: "thread_abc123" }),
    method: "GET",
    path: "/v1/threads/thread_abc123",
    check: (t) => assert.deepStrictEqual(t.metadata, {})
  },
  {
    name: "Threads.modify",
    reply: fx.thread,
    call: Threads.modify({ threadId: "thread_abc123", metadata: { modified: "true" } }),
    method: "POST",
    path: "/v1/threads/thread_abc123",
    body: { metadata: { modified: "true" } },
    check: (t) => assert.strictEqual(t.object, "thread")
  },
  {
    name: "Threads.delete",
    reply: { id: "thread_abc123", object: "thread.deleted", deleted: true },
    call: Threads.delete({ threadId: "thread_abc123" }),
    method: "DELETE",
    path: "/v1/threads/thread_abc123",
    check: (d) => assert.strictEqual(d.deleted, true)
  },
  {
    name: "Threads.createAndRun",
    reply: fx.run,
    call: Threads.createAndRun({
      assistantId: "asst_abc123",
      thread: { messages: [{ role: "user", content: "Hi" }], metadata: { k: "v" } },
      maxCompletionTokens: 500,
      truncationStrategy: { type: "last_messages", lastMessages: 3 },
      toolChoice: { type: "function", function: { name: "get_weather" } },
      parallelToolCalls: false
    }),
    method: "POST",
    path: "/v1/threads/runs",
    body: {
      assistant_id: "asst_abc123",
      thread: { messages: [{ role: "user", content: "Hi" }], metadata: { k: "v" } },
      max_completion_tokens: 500,
      truncation_strategy: { type: "last_messages", last_messages: 3 },
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false
    },
    check: (r) =>
      assert.strictEqual(
        r.requiredAction.submitToolOutputs.toolCalls[0].function.arguments,
        "{\"city_name\":\"Paris\"}"
      )
  },
  {
    name: "Messages.list",
    reply: fx.page([fx.message]),
    call: Messages.list({ threadId: "thread_abc123", runId: "run_abc123", limit: 100, order: "desc" }),
    method: "GET",
    path: "/v1/threads/thread_abc123/messages",
    query: [["limit", "100"], ["order", "desc"], ["run_id", "run_abc123"]],
    check: (p) => {
      const part = p.data[0].content[0]
      assert.strictEqual(part.type, "text")
      assert.deepStrictEqual(part.text.annotations[0].fileCitation, { fileId: "file_9" })
      assert.strictEqual(part.text.annotations[0].startIndex, 5)
    }
  },
  {
    name: "Messages.create",
    reply: fx.message,
    call: Messages.create({
      threadId: "thread_abc123",
      role: "user",
      content: "How does AI work?",
      attachments: [{ fileId: "file_1", tools: [{ type: "file_search" }] }]
    }),
    method: "POST",
    path: "/v1/threads/thread_abc123/messages",
    body: {
      role: "user",
      content: "How does AI work?",
      attachments: [{ file_id: "file_1", tools: [{ type: "file_search" }] }]
    },
    check: (m) => {
      assert.strictEqual(m.threadId, "thread_abc123")
      assert.strictEqual(m.completedAt, 1699017615)
    }
  },
  {
    name: "Messages.get",
    reply: fx.message,
    call: Messages.get({ threadId: "thread_abc123", messageId: "msg_abc123" }),
    method: "GET",
    path: "/v1/threads/thread_abc123/messages/msg_abc123",
    check: (m) => assert.strictEqual(m.role, "user")
  },
  {
    name: "Messages.modify",
    reply: fx.message,
    call: Messages.modify({ threadId: "thread_abc123", messageId: "msg_abc123", metadata: { a: "b" } }),
    method: "POST",
    path: "/v1/threads/thread_abc123/messages/msg_abc123",
    body: { metadata: { a: "b" } },
    check: (m) => assert.strictEqual(m.id, "msg_abc123")
  },
  {
    name: "Messages.delete",
    reply: { id: "msg_abc123", object: "thread.message.deleted", deleted: true },
    call: Messages.delete({ threadId: "thread_abc123", messageId: "msg_abc123" }),
    method: "DELETE",
    path: "/v1/threads/thread_abc123/messages/msg_abc123",
    check: (d) => assert.strictEqual(d.object, "thread.message.deleted")
  },
  {
    name: "Runs.list",
    reply: fx.page([fx.run]),
    call: Runs.list({ threadId: "thread_abc123", limit: 5 }),
    method: "GET",
    path: "/v1/threads/thread_abc123/runs",
    query: [["limit", "5"]],
    check: (p) => assert.strictEqual(p.data[0].status, "requires_action")
  },
  {
    name: "Runs.create",
    reply: fx.run,
    call: Runs.create({
      threadId: "thread_abc123",
      assistantId: "asst_abc123",
      additionalInstructions: "Be nice.",
      additionalMessages: [{ role: "assistant", content: "Hello" }],
      toolChoice: "required",
      maxPromptTokens: 256,
      include
    }),
    method: "POST",
    path: "/v1/threads/thread_abc123/runs",
    query: [["include[]", include[0]]],
    body: {
      assistant_id: "asst_abc123",
      additional_instructions: "Be nice.",
      additional_messages: [{ role: "assistant", content: "Hello" }],
      tool_choice: "required",
      max_prompt_tokens: 256
    },
    check: (r) => {
      assert.strictEqual(r.threadId, "thread_abc123")
      assert.deepStrictEqual(r.truncationStrategy, { type: "auto", lastMessages: null })
      assert.strictEqual(r.parallelToolCalls, true)
    }
  },
  {
    name: "Runs.get",
    reply: fx.run,
    call: Runs.get({ threadId: "thread_abc123", runId: "run_abc123" }),
    method: "GET",
    path: "/v1/threads/thread_abc123/runs/run_abc123",
    check: (r) => assert.strictEqual(r.expiresAt, 1699063890)
  },
  {
    name: "Runs.modify",
    reply: fx.run,
    call: Runs.modify({ threadId: "thread_abc123", runId: "run_abc123", metadata: { user_id: "u1" } }),
    method: "POST",
    path: "/v1/threads/thread_abc123/runs/run_abc123",
    body: { metadata: { user_id: "u1" } },
    check: (r) => assert.strictEqual(r.id, "run_abc123")
  },
  {
    name: "Runs.cancel",
    reply: { ...fx.run, status: "cancelling", required_action: null },
    call: Runs.cancel({ threadId: "thread_abc123", runId: "run_abc123" }),
    method: "POST",
    path: "/v1/threads/thread_abc123/runs/run_abc123/cancel",
    check: (r) => assert.strictEqual(r.status, "cancelling")
  },
  {
    name: "Runs.submitToolOutputs",
    reply: { ...fx.run, status: "queued", required_action: null },
    call: Runs.submitToolOutputs({
      threadId: "thread_abc123",
      runId: "run_abc123",
      toolOutputs: [{ toolCallId: "call_1", output: "sunny" }]
    }),
    method: "POST",
    path: "/v1/threads/thread_abc123/runs/run_abc123/submit_tool_outputs",
    body: { tool_outputs: [{ tool_call_id: "call_1", output: "sunny" }] },
    check: (r) => assert.strictEqual(r.requiredAction, null)
  },
  {
    name: "RunSteps.list",
    reply: fx.page([fx.step]),
    call: RunSteps.list({ threadId: "thread_abc123", runId: "run_abc123", order: "asc", include }),
    method: "GET",
    path: "/v1/threads/thread_abc123/runs/run_abc123/steps",
    query: [["order", "asc"], ["include[]", include[0]]],
    check: (p) => {
      const details = p.data[0].stepDetails
      assert.strictEqual(details.type, "tool_calls")
      assert.strictEqual(details.toolCalls[0].function.output, "sunny")
      assert.strictEqual(p.data[0].usage.totalTokens, 579)
    }
  },
  {
    name: "RunSteps.get",
    reply: fx.step,
    call: RunSteps.get({ threadId: "thread_abc123", runId: "run_abc123", stepId: "step_abc123", include }),
    method: "GET",
    path: "/v1/threads/thread_abc123/runs/run_abc123/steps/step_abc123",
    query: [["include[]", include[0]]],
    check: (s) => assert.strictEqual(s.runId, "run_abc123")
  }
]

describe("every operation on the wire", () => {
  for (const c of cases) {
    it.effect(c.name, () => {
      const { layer, mock } = layerFor(c.reply)
      return Effect.gen(function*() {
        const result = yield* c.call
        assert.strictEqual(mock.requests.length, 1)
        const [request] = mock.requests
        assert.strictEqual(request.method, c.method)
        assert.strictEqual(request.path, c.path)
        assert.deepStrictEqual([...request.url.searchParams.entries()], (c.query ?? []).map(([k, v]) => [k, v]))
        assert.strictEqual(request.headers["openai-beta"], "assistants=v2")
        assert.strictEqual(request.headers["authorization"], "Bearer sk-test-key")
        assert.strictEqual(request.headers["openai-organization"], "org_1")
        assert.strictEqual(request.headers["openai-project"], "proj_1")
        assert.deepStrictEqual(request.body, c.body)
        if (c.body !== undefined) assert.strictEqual(request.headers["content-type"], "application/json")
        c.check(result)
      }).pipe(Effect.provide(layer))
    })
  }

  it("covers the 23 operations", () => {
    const names = new Set(cases.map((c) => c.name.replace(/ \(.*\)$/, "")))
    assert.strictEqual(names.size, 23)
  })
})

describe("configuration", () => {
  it.effect("a custom auth header carries the raw key; urlParams and headers are added", () => {
    const { layer, mock } = layerFor(fx.thread, {
      authHeader: "api-key",
      organization: undefined,
      project: undefined,
      headers: { "x-extra": "1" },
      urlParams: { "api-version": "2024-05-01-preview" }
    })
    return Effect.gen(function*() {
      yield* Threads.get({ threadId: "thread_1" })
      const [request] = mock.requests
      assert.strictEqual(request.headers["api-key"], "sk-test-key")
      assert.strictEqual(request.headers["authorization"], undefined)
      assert.strictEqual(request.headers["openai-organization"], undefined)
      assert.strictEqual(request.headers["x-extra"], "1")
      assert.strictEqual(request.url.searchParams.get("api-version"), "2024-05-01-preview")
    }).pipe(Effect.provide(layer))
  })

  it.effect("no api key: no auth header; baseUrl used verbatim", () => {
    const mock = MockHttp.make(() => ({ body: fx.thread }))
    return Effect.gen(function*() {
      yield* Threads.get({ threadId: "thread_1" })
      assert.strictEqual(mock.requests[0].headers["authorization"], undefined)
      assert.strictEqual(mock.requests[0].url.toString(), "http://127.0.0.1:4010/threads/thread_1")
    }).pipe(Effect.provide(AssistantsLive.layer({ baseUrl: "http://127.0.0.1:4010/" }).pipe(Layer.provide(mock.layer))))
  })
})
