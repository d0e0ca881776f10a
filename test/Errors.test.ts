import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { AssistantsError, AssistantsLive, Messages, RetryPolicy, Runs, RunSteps, Threads } from "../src/index.js"
import * as fx from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

const secret = "sk-SECRET-9f8e7d6c5b4a"

const setup = (handler: Parameters<typeof MockHttp.make>[0], authHeader?: string) => {
  const mock = MockHttp.make(handler)
  const layer = AssistantsLive.layer({
    apiKey: Redacted.make(secret),
    baseUrl: "http://api.test/v1",
    retry: RetryPolicy.none,
    ...(authHeader ? { authHeader } : {})
  }).pipe(Layer.provide(mock.layer))
  return { mock, layer }
}

const envelope = (message: string, type: string, param: string | null, code: string | null) => ({
  error: { message, type, param, code }
})

describe("status errors", () => {
  const table = [
    [400, "BadRequestError"],
    [401, "AuthenticationError"],
    [403, "PermissionDeniedError"],
    [404, "NotFoundError"],
    [409, "ConflictError"],
    [422, "UnprocessableEntityError"],
    [429, "RateLimitError"],
    [500, "InternalServerError"],
    [503, "InternalServerError"],
    [418, "UnexpectedStatusError"]
  ] as const
  for (const [status, tag] of table) {
    it.effect(`${status} -> ${tag}`, () => {
      const { layer } = setup(() => ({
        status,
        body: envelope("No thread found with id 'thread_x'.", "invalid_request_error", "thread_id", "not_found"),
        headers: { "x-request-id": "req_42" }
      }))
      return Effect.gen(function*() {
        const error = yield* Effect.flip(Threads.get({ threadId: "thread_x" }))
        assert.strictEqual(error._tag, tag)
        if (!("status" in error) || error._tag === "ResponseDecodeError") return assert.fail("not a status error")
        assert.strictEqual(error.status, status)
        assert.strictEqual(error.requestId, "req_42")
        assert.strictEqual(error.method, "GET")
        assert.strictEqual(error.path, "/threads/thread_x")
        assert.strictEqual(error.message, "No thread found with id 'thread_x'.")
        assert.strictEqual(error.type, "invalid_request_error")
        assert.strictEqual(error.param, "thread_id")
        assert.strictEqual(error.code, "not_found")
        assert.strictEqual(error.outcome, status >= 500 ? "unknown" : "rejected")
      }).pipe(Effect.provide(layer))
    })
  }

  it.effect("an error body without the envelope: a string error, JSON of another shape, nothing at all", () => {
    const replies: ReadonlyArray<MockHttp.Reply> = [
      { status: 400, body: { error: "thread_id is required" } },
      { status: 409, body: { detail: "busy" } },
      { status: 404, text: "" }
    ]
    const { layer } = setup((_, i) => replies[i])
    return Effect.gen(function*() {
      const errors = [
        yield* Effect.flip(Threads.get({ threadId: "thread_x" })),
        yield* Effect.flip(Threads.get({ threadId: "thread_x" })),
        yield* Effect.flip(Threads.get({ threadId: "thread_x" }))
      ]
      assert.deepStrictEqual(errors.map((e) => [e._tag, e.message]), [
        ["BadRequestError", "thread_id is required"],
        ["ConflictError", "{\"detail\":\"busy\"}"],
        ["NotFoundError", "Threads.get failed with status 404"]
      ])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a non-JSON error body still gives a typed error with its text", () => {
    const { layer } = setup(() => ({ status: 502, text: "<html>Bad Gateway</html>" }))
    return Effect.gen(function*() {
      const error = yield* Effect.flip(Threads.get({ threadId: "thread_x" }))
      assert.strictEqual(error._tag, "InternalServerError")
      assert.strictEqual(error.message, "<html>Bad Gateway</html>")
    }).pipe(Effect.provide(layer))
  })
})

describe("decode failures", () => {
  it.effect("name the schema and the path", () => {
    const { layer } = setup(() => ({ body: { ...fx.run, created_at: "yesterday" } }))
    return Effect.gen(function*() {
      const error = yield* Effect.flip(Runs.get({ threadId: "thread_1", runId: "run_1" }))
      assert.strictEqual(error._tag, "ResponseDecodeError")
      if (error._tag !== "ResponseDecodeError") return
      assert.strictEqual(error.schema, "Run")
      assert.strictEqual(error.at, "created_at")
      assert.strictEqual(error.status, 200)
    }).pipe(Effect.provide(layer))
  })

  it.effect("nested paths inside a page", () => {
    const { layer } = setup(() => ({
      body: fx.page([fx.message, { ...fx.message, content: [{ type: "text", text: {} }] }])
    }))
    return Effect.gen(function*() {
      const error = yield* Effect.flip(Messages.list({ threadId: "thread_1" }))
      assert.strictEqual(error._tag, "ResponseDecodeError")
      if (error._tag !== "ResponseDecodeError") return
      assert.strictEqual(error.schema, "ListPage<Message>")
      assert.strictEqual(error.at, "data.1.content.0.text.value")
    }).pipe(Effect.provide(layer))
  })

  it.effect("malformed JSON", () => {
    const { layer } = setup(() => ({ text: "{\"id\": \"run_1\", " }))
    return Effect.gen(function*() {
      const error = yield* Effect.flip(Runs.get({ threadId: "thread_1", runId: "run_1" }))
      assert.strictEqual(error._tag, "ResponseDecodeError")
    }).pipe(Effect.provide(layer))
  })
})

describe("bad input is refused before sending", () => {
  const badIds = [
    "",
    "a/b",
    "a\\b",
    "a?b",
    "a#b",
    "a%2F",
    "a b",
    "a\tb",
    "a\nb",
    "a\u0000b",
    ".",
    "..",
    "x".repeat(513)
  ]
  for (const id of badIds) {
    it.effect(`id ${JSON.stringify(id.length > 20 ? `${id.slice(0, 5)}…(${id.length})` : id)}`, () => {
      const { layer, mock } = setup(() => ({ body: fx.run }))
      return Effect.gen(function*() {
        const calls: ReadonlyArray<Effect.Effect<unknown, AssistantsError.AssistantsError, AssistantsLive.Services>> = [
          Runs.get({ threadId: id, runId: "run_1" }),
          Runs.get({ threadId: "thread_1", runId: id }),
          RunSteps.get({ threadId: "thread_1", runId: "run_1", stepId: id }),
          Messages.list({ threadId: "thread_1", after: id })
        ]
        for (const call of calls) {
          const error = yield* Effect.flip(call)
          assert.strictEqual(error._tag, "InvalidRequestError")
        }
        assert.strictEqual(mock.requests.length, 0)
      }).pipe(Effect.provide(layer))
    })
  }

  it.effect("a 512-character id is accepted", () => {
    const { layer, mock } = setup(() => ({ body: fx.thread }))
    return Effect.gen(function*() {
      yield* Threads.get({ threadId: "t".repeat(512) })
      assert.strictEqual(mock.requests.length, 1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("bad parameters name the param", () => {
    const { layer, mock } = setup(() => ({ body: fx.run }))
    return Effect.gen(function*() {
      const cases: Array<[Effect.Effect<unknown, any, any>, string]> = [
        [Messages.list({ threadId: "thread_1", limit: 0 }), "limit"],
        [Messages.list({ threadId: "thread_1", limit: 101 }), "limit"],
        [Messages.list({ threadId: "thread_1", order: "up" as any }), "order"],
        [Runs.create({ threadId: "thread_1", assistantId: "asst_1", temperature: 3 }), "temperature"],
        [Runs.create({ threadId: "thread_1", assistantId: "asst_1", maxPromptTokens: 10 }), "maxPromptTokens"],
        [Runs.create({ threadId: "thread_1", assistantId: "asst_1", include: ["bogus" as any] }), "include"],
        [
          Threads.create({ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }),
          "metadata"
        ],
        [Threads.create({ metadata: { ["k".repeat(65)]: "v" } }), "metadata"],
        [Threads.create({ metadata: { k: "v".repeat(513) } }), "metadata.k"],
        [Messages.create({ threadId: "thread_1", role: "system" as any, content: "hi" }), "role"],
        [Runs.create({ threadId: "thread_1", assistantId: "asst/1" }), "assistantId"]
      ]
      for (const [call, param] of cases) {
        const error = yield* Effect.flip(call)
        assert.strictEqual(error._tag, "InvalidRequestError", param)
        assert.strictEqual(error.param?.startsWith(param), true, `${param}: ${error.param} ${error.message}`)
        assert.strictEqual(error.outcome, "not-sent")
      }
      assert.strictEqual(mock.requests.length, 0)
    }).pipe(Effect.provide(layer))
  })
})

describe("the API key never leaks", () => {
  for (const authHeader of [undefined, "api-key"]) {
    it.effect(`through errors (${authHeader ?? "authorization"})`, () => {
      let n = 0
      const { layer, mock } = setup(() => {
        n++
        return n === 1
          ? {
            status: 401,
            body: envelope("Incorrect API key provided", "invalid_request_error", null, "invalid_api_key")
          }
          : n === 2
          ? { fail: "reset" as const }
          : { body: { broken: true } }
      }, authHeader)
      return Effect.gen(function*() {
        const errors = [
          yield* Effect.flip(Threads.get({ threadId: "thread_1" })),
          yield* Effect.flip(Threads.get({ threadId: "thread_1" })),
          yield* Effect.flip(Threads.get({ threadId: "thread_1" })),
          yield* Effect.flip(Threads.get({ threadId: "a/b" }))
        ]
        assert.deepStrictEqual(errors.map((e) => e._tag), [
          "AuthenticationError",
          "ConnectionError",
          "ResponseDecodeError",
          "InvalidRequestError"
        ])
        for (const error of errors) {
          for (
            const text of [
              String(error),
              JSON.stringify(error),
              error.message,
              error.stack ?? "",
              JSON.stringify(Either.left(error))
            ]
          ) {
            assert.isFalse(text.includes(secret), text)
          }
        }
        // the key did go out on the wire, under the chosen header
        assert.isTrue(Object.values(mock.requests[0].headers).some((v) => v.includes(secret)))
      }).pipe(Effect.provide(layer))
    })
  }
})
