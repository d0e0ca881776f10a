/**
 * The client against a mock server generated from the official contract (Prism, strict variant:
 * the `OpenAI-Beta` header, `limit` 1..100 and the metadata limits are required too). Every one
 * of the 23 operations, with rich parameters: no request may be rejected, and every response,
 * the static one and 40 generated ones per operation, must decode.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { createLogger } from "@stoplight/prism-core"
import { getHttpOperationsFromSpec } from "@stoplight/prism-http"
import { createServer } from "@stoplight/prism-http-server"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { fileURLToPath } from "node:url"
import { Assistants, AssistantsLive, Messages, RetryPolicy, Runs, RunSteps, Threads } from "../../src/index.js"

const spec = fileURLToPath(new URL("../contract/assistants-v2.strict.openapi.yaml", import.meta.url))
const include = ["step_details.tool_calls[*].file_search.results[*].content"] as const
const t = "thread_abc"
const r = "run_abc"

const operations: ReadonlyArray<readonly [string, Effect.Effect<unknown, any, AssistantsLive.Services>]> = [
  ["listAssistants", Assistants.list({ limit: 5, order: "asc", after: "asst_a", before: "asst_b" })],
  [
    "createAssistant",
    Assistants.create({
      model: "gpt-4o",
      name: "n",
      description: "d",
      instructions: "i",
      reasoningEffort: "low",
      tools: [
        { type: "code_interpreter" },
        {
          type: "file_search",
          fileSearch: { maxNumResults: 5, rankingOptions: { ranker: "auto", scoreThreshold: 0.5 } }
        },
        { type: "function", function: { name: "f", description: "x", parameters: { type: "object" }, strict: true } }
      ],
      toolResources: { codeInterpreter: { fileIds: ["f1"] }, fileSearch: { vectorStoreIds: ["vs_1"] } },
      metadata: { a: "b" },
      temperature: 1,
      topP: 0.5,
      responseFormat: { type: "json_schema", jsonSchema: { name: "s", schema: { type: "object" }, strict: true } }
    })
  ],
  ["getAssistant", Assistants.get({ assistantId: "asst_abc" })],
  ["modifyAssistant", Assistants.modify({ assistantId: "asst_abc", name: "x", responseFormat: "auto" })],
  ["deleteAssistant", Assistants.delete({ assistantId: "asst_abc" })],
  [
    "createThread",
    Threads.create({
      messages: [
        {
          role: "user",
          content: "hi",
          attachments: [{ fileId: "f", tools: [{ type: "file_search" }] }],
          metadata: { a: "b" }
        },
        {
          role: "user",
          content: [
            { type: "text", text: "x" },
            { type: "image_url", imageUrl: { url: "https://example.com/a.png", detail: "high" } },
            { type: "image_file", imageFile: { fileId: "f" } }
          ]
        }
      ],
      toolResources: {
        fileSearch: {
          vectorStores: [{
            fileIds: ["f"],
            chunkingStrategy: { type: "static", static: { maxChunkSizeTokens: 800, chunkOverlapTokens: 400 } }
          }]
        }
      },
      metadata: { k: "v" }
    })
  ],
  ["createThread (no body)", Threads.create()],
  ["getThread", Threads.get({ threadId: t })],
  [
    "modifyThread",
    Threads.modify({ threadId: t, metadata: { a: "b" }, toolResources: { codeInterpreter: { fileIds: [] } } })
  ],
  ["deleteThread", Threads.delete({ threadId: t })],
  [
    "createThreadAndRun",
    Threads.createAndRun({
      assistantId: "asst_abc",
      thread: { messages: [{ role: "user", content: "hi" }] },
      model: "gpt-4o",
      instructions: "x",
      tools: [{ type: "code_interpreter" }],
      toolResources: { codeInterpreter: { fileIds: ["f"] } },
      metadata: { a: "b" },
      temperature: 0.2,
      topP: 0.9,
      maxPromptTokens: 1000,
      maxCompletionTokens: 1000,
      truncationStrategy: { type: "last_messages", lastMessages: 2 },
      toolChoice: { type: "function", function: { name: "f" } },
      parallelToolCalls: false,
      responseFormat: { type: "json_object" }
    })
  ],
  ["listMessages", Messages.list({ threadId: t, limit: 10, order: "desc", runId: r })],
  ["createMessage", Messages.create({ threadId: t, role: "assistant", content: "x", metadata: null })],
  ["getMessage", Messages.get({ threadId: t, messageId: "msg_1" })],
  ["modifyMessage", Messages.modify({ threadId: t, messageId: "msg_1", metadata: { a: "b" } })],
  ["deleteMessage", Messages.delete({ threadId: t, messageId: "msg_1" })],
  ["listRuns", Runs.list({ threadId: t, limit: 100 })],
  [
    "createRun",
    Runs.create({
      threadId: t,
      assistantId: "asst_abc",
      include,
      model: null,
      reasoningEffort: "high",
      instructions: null,
      additionalInstructions: "y",
      additionalMessages: [{ role: "user", content: "z" }],
      tools: null,
      metadata: { a: "b" },
      temperature: null,
      topP: null,
      maxPromptTokens: 256,
      maxCompletionTokens: null,
      truncationStrategy: { type: "auto" },
      toolChoice: "none",
      parallelToolCalls: true,
      responseFormat: null
    })
  ],
  ["getRun", Runs.get({ threadId: t, runId: r })],
  ["modifyRun", Runs.modify({ threadId: t, runId: r, metadata: { a: "b" } })],
  [
    "submitToolOuputsToRun",
    Runs.submitToolOutputs({ threadId: t, runId: r, toolOutputs: [{ toolCallId: "call_1", output: "x" }] })
  ],
  ["cancelRun", Runs.cancel({ threadId: t, runId: r })],
  ["listRunSteps", RunSteps.list({ threadId: t, runId: r, limit: 3, order: "asc", include })],
  ["getRunStep", RunSteps.get({ threadId: t, runId: r, stepId: "step_1", include })]
]

const startPrism = async (dynamic: boolean) => {
  const httpOperations = await getHttpOperationsFromSpec(spec)
  // OpenAPI's default for form query parameters; without it `include[]` is never checked
  for (const operation of httpOperations) {
    for (const parameter of operation.request?.query ?? []) {
      if ((parameter.style === undefined || parameter.style === "form") && parameter.explode === undefined) {
        ;(parameter as { explode?: boolean }).explode = true
      }
    }
  }
  const server = createServer(httpOperations, {
    components: { logger: createLogger("prism", { level: "silent" }) },
    config: {
      mock: { dynamic },
      validateRequest: true,
      validateResponse: true,
      checkSecurity: true,
      errors: false,
      isProxy: false
    } as never,
    cors: false
  })
  const address = await server.listen(0, "127.0.0.1")
  return { url: address.replace("0.0.0.0", "127.0.0.1"), close: () => server.close() }
}

describe("against a mock of the official contract (Prism)", () => {
  const servers: Array<{ url: string; close: () => Promise<void> }> = []
  beforeAll(async () => {
    servers.push(await startPrism(false), await startPrism(true))
  }, 30_000)
  afterAll(() => Promise.all(servers.map((s) => s.close())))

  const layer = (url: string) =>
    AssistantsLive.layer({ baseUrl: url, apiKey: Redacted.make("sk-prism"), retry: RetryPolicy.none }).pipe(
      Layer.provide(FetchHttpClient.layer)
    )

  it.live("covers the 23 operations", () =>
    Effect.sync(() => assert.strictEqual(new Set(operations.map(([name]) => name.replace(/ \(.*\)$/, ""))).size, 23)))

  it.live("the oracle does refuse what the contract forbids", () =>
    Effect.promise(async () => {
      const headers = { authorization: "Bearer sk-prism", "content-type": "application/json" }
      const noBeta = await fetch(`${servers[0].url}/threads/${t}`, { headers })
      const badInclude = await fetch(`${servers[0].url}/threads/${t}/runs/${r}/steps?include[]=bogus`, {
        headers: { ...headers, "openai-beta": "assistants=v2" }
      })
      const badLimit = await fetch(`${servers[0].url}/assistants?limit=101`, {
        headers: { ...headers, "openai-beta": "assistants=v2" }
      })
      assert.deepStrictEqual([noBeta.status, badInclude.status, badLimit.status], [422, 422, 422])
    }))

  it.live("every request is accepted and every static response decodes", () =>
    Effect.gen(function*() {
      for (const [name, operation] of operations) {
        const result = yield* Effect.either(operation)
        assert.strictEqual(result._tag, "Right", `${name}: ${result._tag === "Left" ? result.left.message : ""}`)
      }
    }).pipe(Effect.provide(layer(servers[0].url))))

  it.live("40 generated responses per operation decode", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 40; i++) {
        for (const [name, operation] of operations) {
          const result = yield* Effect.either(operation)
          assert.strictEqual(result._tag, "Right", `${name}: ${result._tag === "Left" ? result.left.message : ""}`)
        }
      }
    }).pipe(Effect.provide(layer(servers[1].url))), 120_000)
})
