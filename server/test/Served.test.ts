/**
 * A stored object can always be served: whatever body a create accepts, deep, odd or at the
 * limits, every read and every list that includes the object answers 200 afterwards. Bodies are
 * generated (fast-check through `it.effect.prop`, so a failure shrinks to its smallest body); a
 * create that refuses one must refuse with a 4xx, never a 500.
 */
import { assert, layer } from "@effect/vitest"
import { AssistantsServer } from "effect-assistants-server"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"

const fast = { queued: "1 millis", step: "2 millis", cancelling: "1 millis", pollAfterMillis: 5 } as const

const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("", "\u0000", "\ud800", "get_weather", "x".repeat(513))
)

/**
 * A value nested `depth` levels deep, alternately in objects and arrays. It stands in the body as
 * a marker and is written out as text by {@link serialize}: as an object it would overflow the
 * stack of the test's own `JSON.stringify` long before the server's.
 */
const deep = (depth: number) => ({ __deep: depth })
const depth = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 70 }), weight: 4 },
  { arbitrary: fc.integer({ min: 0, max: 8_000 }), weight: 1 }
)
const serialize = (body: unknown) =>
  JSON.stringify(body).replace(/\{"__deep":(\d+)\}/g, (_, n) => {
    const levels = Number(n)
    let open = ""
    let close = ""
    for (let i = 0; i < levels; i++) {
      open += i % 2 === 0 ? `{"k${i}":` : "["
      close = (i % 2 === 0 ? "}" : "]") + close
    }
    return `${open}1${close}`
  })
const json = fc.oneof(fc.jsonValue({ maxDepth: 3 }), depth.map(deep))
const object = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 4 }),
  depth.map((d) => ({ type: "object", properties: deep(d) }))
)
/** Mostly what the schema accepts, sometimes anything: bodies must get past the decoder to be stored. */
const mostly = <A, B>(valid: fc.Arbitrary<A>, hostile: fc.Arbitrary<B>) =>
  fc.oneof({ arbitrary: valid, weight: 5 }, { arbitrary: hostile, weight: 1 })
const metadata = mostly(
  fc.dictionary(fc.string({ maxLength: 64 }), fc.string({ maxLength: 40 }), { maxKeys: 16 }),
  fc.oneof(fc.constant(null), fc.dictionary(fc.string({ maxLength: 70 }), fc.oneof(text, json), { maxKeys: 18 }))
)
const tool = fc.oneof(
  fc.record({
    type: fc.constant("function"),
    function: fc.record({
      name: text,
      description: text,
      parameters: fc.oneof(object, json),
      strict: fc.oneof(fc.boolean(), fc.constant(null))
    }, { requiredKeys: ["name"] })
  }),
  fc.constant({ type: "code_interpreter" }),
  fc.record({ type: fc.constant("file_search"), file_search: json }, { requiredKeys: ["type"] }),
  fc.record({ type: text, extra: json }, { requiredKeys: ["type"] })
)
const responseFormat = fc.oneof(
  fc.constantFrom("auto", { type: "text" }, { type: "json_object" }),
  fc.record({
    type: fc.constant("json_schema"),
    json_schema: fc.record({ name: text, schema: fc.oneof(object, json), strict: fc.boolean() }, {
      requiredKeys: ["name"]
    })
  }),
  fc.record({ type: text, extra: json }, { requiredKeys: ["type"] })
)
const message = fc.record({
  role: fc.constantFrom("user", "assistant"),
  content: fc.oneof(
    text,
    fc.array(
      fc.oneof(
        fc.record({ type: fc.constant("text"), text }),
        fc.record({ type: fc.constant("image_url"), image_url: fc.record({ url: text, detail: text }) }),
        fc.record({ type: text, extra: json }, { requiredKeys: ["type"] })
      ),
      { minLength: 1, maxLength: 3 }
    ),
    json
  ),
  metadata,
  attachments: fc.array(fc.record({ file_id: text, tools: fc.array(tool, { maxLength: 2 }) }), { maxLength: 2 })
}, { requiredKeys: ["role", "content"] })
const tuning = {
  instructions: fc.oneof(text, fc.constant(null)),
  metadata,
  response_format: responseFormat,
  temperature: mostly(fc.double({ min: 0, max: 2, noNaN: true }), fc.double()),
  top_p: mostly(fc.double({ min: 0, max: 1, noNaN: true }), fc.double())
}

const assistantBody = fc.record({
  model: fc.oneof(text, fc.constant("gpt-4o")),
  name: fc.oneof(text, fc.constant(null)),
  tools: fc.array(tool, { maxLength: 4 }),
  ...tuning
}, { requiredKeys: ["model"] })
const threadBody = fc.record({ messages: fc.array(message, { maxLength: 3 }), metadata }, { requiredKeys: [] })
const runBody = fc.record({
  tools: fc.array(tool, { maxLength: 3 }),
  additional_instructions: fc.oneof(text, fc.constant(null)),
  additional_messages: fc.array(message, { maxLength: 2 }),
  ...tuning
}, { requiredKeys: [] })

const server = AssistantsServer.layer({ timings: fast })

const call = (path: string, body?: unknown) =>
  Effect.flatMap(AssistantsServer.AssistantsServer, ({ url }) =>
    Effect.promise(async () => {
      const response = await fetch(`${url}${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { "OpenAI-Beta": "assistants=v2", "content-type": "application/json" },
        ...(body === undefined ? {} : { body: serialize(body) })
      })
      const text = await response.text()
      return { status: response.status, body: JSON.parse(text) as any, text }
    }))

/** Every read of the created object and every list holding it: 200. */
const servesAll = (paths: ReadonlyArray<string>) =>
  Effect.forEach(
    paths,
    (path) =>
      Effect.map(call(path), (response) => assert.strictEqual(response.status, 200, `${path}: ${response.text}`))
  )

const counts = { accepted: 0, refused: 0 }
const accepted = (created: { status: number; text: string }) => {
  assert.isBelow(created.status, 500, created.text)
  counts[created.status === 200 ? "accepted" : "refused"]++
  return created.status === 200
}

layer(server, { excludeTestServices: true })("a stored object can always be served", (it) => {
  it.effect.prop("assistants", [assistantBody], ([body]) =>
    Effect.gen(function*() {
      const created = yield* call("/assistants", body)
      if (!accepted(created)) return
      yield* servesAll([`/assistants/${created.body.id}`, "/assistants?limit=100", "/assistants?order=asc&limit=100"])
    }), { fastCheck: { numRuns: 150 } })

  it.effect.prop("threads and their messages", [threadBody], ([body]) =>
    Effect.gen(function*() {
      const created = yield* call("/threads", body)
      if (!accepted(created)) return
      const id = created.body.id as string
      const list = yield* call(`/threads/${id}/messages?limit=100`)
      assert.strictEqual(list.status, 200, list.text)
      yield* servesAll([
        `/threads/${id}`,
        ...list.body.data.map((m: { id: string }) => `/threads/${id}/messages/${m.id}`)
      ])
    }), { fastCheck: { numRuns: 150 } })

  it.effect.prop("messages", [message], ([body]) =>
    Effect.gen(function*() {
      const thread = (yield* call("/threads", {})).body.id as string
      const created = yield* call(`/threads/${thread}/messages`, body)
      if (!accepted(created)) return
      yield* servesAll([`/threads/${thread}/messages/${created.body.id}`, `/threads/${thread}/messages?limit=100`])
    }), { fastCheck: { numRuns: 150 } })

  it.effect.prop("runs, their steps and their replies", [runBody], ([body]) =>
    Effect.gen(function*() {
      const assistant = (yield* call("/assistants", { model: "gpt-4o" })).body.id as string
      const thread = (yield* call("/threads", { messages: [{ role: "user", content: "call get_weather" }] })).body
        .id as string
      const created = yield* call(`/threads/${thread}/runs`, { assistant_id: assistant, ...body })
      if (!accepted(created)) return
      const run = created.body.id as string
      yield* servesAll([
        `/threads/${thread}/runs/${run}`,
        `/threads/${thread}/runs?limit=100`,
        `/threads/${thread}/runs/${run}/steps?limit=100`,
        `/threads/${thread}/messages?limit=100`,
        `/threads/${thread}/messages?run_id=${run}`
      ])
    }), { fastCheck: { numRuns: 100 } })

  it.effect("the bodies above were accepted often enough for the property to mean something", () =>
    Effect.sync(() => {
      console.log(JSON.stringify({ storedAndServed: counts }))
      assert.isAbove(counts.accepted, counts.refused / 4)
    }))
})
