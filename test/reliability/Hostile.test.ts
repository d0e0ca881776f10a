/**
 * Hostile input, both ways. To the client: any id and any parameter object yields a typed
 * `InvalidRequestError` with no request sent, or a request that addresses exactly what was asked.
 * To the server: fuzzed bodies, queries and headers never yield a 500, never crash it and never
 * change objects they did not address. Property runs are bounded.
 */
import { assert, layer } from "@effect/vitest"
import { AssistantsServer } from "effect-assistants-server"
import * as Arbitrary from "effect/Arbitrary"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { AssistantsLive, Message, Messages, Run, Runs, RunSteps, Threads } from "../../src/index.js"
import * as fx from "../utils/fixtures.js"
import * as Harness from "../utils/Harness.js"
import * as MockHttp from "../utils/MockHttp.js"

const hostileCounts = { clientIds: 500, clientBodies: 300, clientParams: 300, server: 400 }

const mockClient = () => {
  const mock = MockHttp.make((request) => ({
    body: request.method === "POST" && request.path.endsWith("/messages") ? fx.message : fx.run
  }))
  const layer = AssistantsLive.layer({ baseUrl: "http://api.test/v1" }).pipe(Layer.provide(mock.layer))
  return { mock, layer }
}

/** Strings that aim at the path: separators, encodings, dots, whitespace, unicode, long ones. */
const hostileString = FastCheck.oneof(
  FastCheck.string(),
  FastCheck.string({ unit: "grapheme", maxLength: 40 }),
  FastCheck.constantFrom(
    "",
    ".",
    "..",
    "../runs",
    "a/b",
    "a?b",
    "a#b",
    "%2e%2e",
    "a b",
    "\t",
    "run_1\n",
    "x".repeat(513),
    "x".repeat(512)
  ),
  FastCheck.array(FastCheck.constantFrom("/", "?", "#", "%", ".", " ", "a", "_", "é", "\u0000", "\u2028"), {
    maxLength: 12
  }).map((a) => a.join(""))
)

// one scripted client for the whole block: each property run compares the request count before
// and after its call
const client = mockClient()

layer(client.layer)("hostile input to the client", (it) => {
  const { mock } = client

  it.effect.prop(
    "any id: refused before sending, or sent as exactly one path segment",
    [hostileString],
    ([id]) =>
      Effect.gen(function*() {
        const before = mock.requests.length
        const exit = yield* Effect.exit(RunSteps.get({ threadId: "thread_1", runId: id, stepId: "step_1" }))
        if (Exit.isFailure(exit)) {
          assert.isTrue(Exit.isFailure(exit) && exit.cause._tag === "Fail", `a defect for ${JSON.stringify(id)}`)
          const error = (exit.cause as { error: { _tag: string } }).error
          if (error._tag === "InvalidRequestError") {
            assert.strictEqual(mock.requests.length, before, `sent ${JSON.stringify(id)}`)
            return
          }
        }
        // sent: the id stayed one segment and the path addresses exactly the step asked for
        assert.strictEqual(mock.requests.length, before + 1)
        const segments = mock.requests[before].path.split("/")
        assert.strictEqual(segments.length, 8, mock.requests[before].path)
        assert.strictEqual(decodeURIComponent(segments[5]), id)
      }),
    { fastCheck: { numRuns: hostileCounts.clientIds } }
  )

  const decodeParams = Schema.decodeUnknownSync(Message.CreateMessageParams)
  const encodeParams = Schema.encodeSync(Message.CreateMessageParams)

  it.effect.prop(
    "any message body: refused before sending, or sent so that it decodes back to itself",
    [
      FastCheck.oneof(
        Arbitrary.make(Schema.typeSchema(Message.CreateMessageParams)) as FastCheck.Arbitrary<unknown>,
        FastCheck.object() as FastCheck.Arbitrary<unknown>,
        FastCheck.anything()
      )
    ],
    ([body]) =>
      Effect.gen(function*() {
        const before = mock.requests.length
        const exit = yield* Effect.exit(
          Messages.create({
            ...(typeof body === "object" && body !== null ? body : { content: body }),
            threadId: "thread_1"
          } as Messages.CreateParams)
        )
        if (Exit.isFailure(exit)) {
          assert.strictEqual(exit.cause._tag, "Fail", "a defect")
          assert.strictEqual((exit.cause as { error: { _tag: string } }).error._tag, "InvalidRequestError")
          assert.strictEqual(mock.requests.length, before)
        } else {
          // what went out is a valid body, in wire form
          const wire = mock.requests[before].body
          assert.deepStrictEqual(encodeParams(decodeParams(wire)), wire)
        }
      }),
    { fastCheck: { numRuns: hostileCounts.clientBodies } }
  )

  const runFields = FastCheck.dictionary(
    FastCheck.constantFrom(
      "model",
      "temperature",
      "topP",
      "tools",
      "metadata",
      "toolChoice",
      "maxPromptTokens",
      "truncationStrategy",
      "include",
      "responseFormat",
      "parallelToolCalls",
      "additionalMessages"
    ),
    FastCheck.anything()
  )

  it.effect.prop(
    "any run parameters: a typed result, never a defect",
    [runFields],
    ([extra]) =>
      Effect.gen(function*() {
        const before = mock.requests.length
        const exit = yield* Effect.exit(
          Runs.create({ threadId: "thread_1", assistantId: "asst_1", ...(extra as object) })
        )
        if (Exit.isFailure(exit)) {
          assert.strictEqual(exit.cause._tag, "Fail", "a defect")
          assert.strictEqual((exit.cause as { error: { _tag: string } }).error._tag, "InvalidRequestError")
          assert.strictEqual(mock.requests.length, before)
        } else {
          assert.strictEqual(mock.requests.length, before + 1)
        }
      }),
    { fastCheck: { numRuns: hostileCounts.clientParams } }
  )

  it.effect("tool outputs for a call the run did not ask for: InvalidRequestError, nothing sent", () =>
    Effect.gen(function*() {
      const before = mock.requests.length
      const run = Schema.decodeUnknownSync(Run.Run)(fx.run)
      const ids = { threadId: run.threadId, runId: run.id, run }
      const cases = [
        [{ toolCallId: "call_other", output: "x" }],
        [{ toolCallId: "call_1", output: "x" }, { toolCallId: "call_1", output: "y" }],
        []
      ]
      for (const toolOutputs of cases) {
        const error = yield* Effect.flip(Runs.submitToolOutputs({ ...ids, toolOutputs }))
        assert.strictEqual(error._tag, "InvalidRequestError")
        assert.strictEqual(error._tag === "InvalidRequestError" && error.param, "toolOutputs")
      }
      assert.strictEqual(mock.requests.length, before)
      yield* Runs.submitToolOutputs({ ...ids, toolOutputs: [{ toolCallId: "call_1", output: "x" }] })
      assert.strictEqual(mock.requests.length, before + 1)
    }))
})

/** Objects the server fuzz must leave alone, made once on the shared server. */
class Kept extends Context.Tag("test/Kept")<Kept, {
  readonly threadId: string
  readonly snapshot: Effect.Effect<unknown, unknown, Harness.Services>
}>() {}

const server = Harness.make()
const keptLayer = Layer.effect(
  Kept,
  Effect.gen(function*() {
    const thread = yield* Threads.create({ messages: [{ role: "user", content: "keep" }], metadata: { keep: "1" } })
    const snapshot = Effect.all([Threads.get({ threadId: thread.id }), Messages.list({ threadId: thread.id })])
    return { threadId: thread.id, snapshot }
  })
).pipe(Layer.provideMerge(server.layer))

const id = FastCheck.oneof(
  hostileString,
  FastCheck.constantFrom("asst_00000001aaaaaaaaaaaaaaaa", "run_x", "thread_x")
)
const path = FastCheck.oneof(
  FastCheck.constant("/assistants"),
  FastCheck.constant("/threads"),
  FastCheck.constant("/threads/runs"),
  id.map((a) => `/assistants/${encodeURIComponent(a)}`),
  id.map((t) => `/threads/${encodeURIComponent(t)}`),
  id.map((t) => `/threads/${encodeURIComponent(t)}/messages`),
  FastCheck.tuple(id, id).map(([t, r]) => `/threads/${encodeURIComponent(t)}/runs/${encodeURIComponent(r)}`),
  FastCheck.tuple(id, id).map(([t, r]) =>
    `/threads/${encodeURIComponent(t)}/runs/${encodeURIComponent(r)}/submit_tool_outputs`
  ),
  FastCheck.tuple(id, id).map(([t, r]) => `/threads/${encodeURIComponent(t)}/runs/${encodeURIComponent(r)}/cancel`),
  FastCheck.tuple(id, id, id).map(([t, r, s]) =>
    `/threads/${encodeURIComponent(t)}/runs/${encodeURIComponent(r)}/steps/${encodeURIComponent(s)}`
  )
)
const query = FastCheck.array(
  FastCheck.tuple(
    FastCheck.constantFrom("limit", "order", "after", "before", "run_id", "include[]", "include", "x"),
    FastCheck.oneof(FastCheck.string(), FastCheck.integer().map(String))
  ),
  { maxLength: 4 }
).map((pairs) => (pairs.length === 0 ? "" : `?${new URLSearchParams(pairs).toString()}`))
/** Arrays nested `depth` deep, as text: where the audit's 500s and crashes came from. */
const deepText = FastCheck.integer({ min: 60, max: 20_000 }).map((depth) => "[".repeat(depth) + "]".repeat(depth))
const body = FastCheck.oneof(
  FastCheck.jsonValue().map((v) => JSON.stringify(v)),
  FastCheck.string(),
  FastCheck.record({
    model: FastCheck.anything(),
    assistant_id: FastCheck.anything(),
    metadata: FastCheck.anything(),
    tools: FastCheck.anything(),
    messages: FastCheck.anything(),
    role: FastCheck.anything(),
    content: FastCheck.anything(),
    tool_outputs: FastCheck.anything()
  }, { requiredKeys: [] }).map((v) => JSON.stringify(v) ?? "null"),
  deepText.map((deep) => `{"model":"m","tools":[{"type":"function","function":{"name":"f","parameters":${deep}}}]}`),
  deepText.map((deep) => `{"metadata":{"k":${deep}},"messages":[{"role":"user","content":${deep}}]}`),
  deepText,
  FastCheck.constant(undefined)
)
const headers = FastCheck.record({
  "content-type": FastCheck.constantFrom(
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "",
    "application/json; charset=utf-16"
  ),
  "openai-beta": FastCheck.constantFrom(
    "assistants=v2",
    "assistants=v2, other=1",
    "ASSISTANTS=V2",
    "assistants=v1",
    ""
  ),
  authorization: FastCheck.constantFrom("Bearer x", "Basic eA==", "bearer", "")
})
const request = FastCheck.record({
  method: FastCheck.constantFrom("GET", "POST", "DELETE", "PUT", "PATCH"),
  path,
  query,
  body,
  headers
})

const statuses: Record<number, number> = {}

layer(keptLayer, { excludeTestServices: true })("hostile input to the server", (it) => {
  it.effect.prop(
    "fuzzed bodies, queries and headers: never a 500, no crash, other objects untouched",
    [request],
    ([r]) =>
      Effect.gen(function*() {
        const { url } = yield* AssistantsServer.AssistantsServer
        const kept = yield* Kept
        const before = yield* kept.snapshot
        const status = yield* Effect.promise(async () => {
          const response = await fetch(`${url}${r.path}${r.query}`, {
            method: r.method,
            headers: Object.fromEntries(Object.entries(r.headers).filter(([, v]) => v !== "")),
            ...(r.body !== undefined && r.method !== "GET" ? { body: r.body } : {})
          })
          const text = await response.text()
          if (response.status >= 400) {
            const json = JSON.parse(text)
            assert.isString(json.error.message, text)
          }
          return response.status
        })
        statuses[status] = (statuses[status] ?? 0) + 1
        assert.isBelow(status, 500, JSON.stringify(r).slice(0, 2_000))
        // still serving, and what the fuzz did not address is as it was
        assert.deepStrictEqual(yield* kept.snapshot, before)
        assert.strictEqual((yield* Threads.get({ threadId: kept.threadId })).metadata?.keep, "1")
      }),
    { fastCheck: { numRuns: hostileCounts.server } }
  )

  it.effect("every list still answers after the fuzz", () =>
    Effect.gen(function*() {
      console.log(JSON.stringify({ serverFuzz: hostileCounts.server, statuses }))
      const { url } = yield* AssistantsServer.AssistantsServer
      const kept = yield* Kept
      for (const path of ["/assistants", `/threads/${kept.threadId}/messages`, `/threads/${kept.threadId}/runs`]) {
        const response = yield* Effect.promise(() =>
          fetch(`${url}${path}`, { headers: { "OpenAI-Beta": "assistants=v2" } })
        )
        assert.strictEqual(response.status, 200, path)
      }
    }))
})
