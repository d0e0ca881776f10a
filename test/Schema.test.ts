import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { AnyObject, Common, Message, Run, RunStep, Tool } from "../src/index.js"
import * as fx from "./utils/fixtures.js"

const decodeRun = Schema.decodeUnknownEither(Run.Run)
const decodeAny = Schema.decodeUnknownEither(AnyObject.AnyObject)

const right = <A, E>(e: Either.Either<A, E>): A => {
  if (Either.isLeft(e)) throw new Error(String(e.left))
  return e.right
}

describe("forward compatibility", () => {
  it("a run with an unknown status decodes, the status kept raw", () => {
    const run = right(decodeRun({ ...fx.run, status: "paused_for_review" }))
    assert.strictEqual(run.status, "paused_for_review")
    assert.isFalse((Run.knownStatuses as ReadonlyArray<string>).includes(run.status))
  })

  it("a message with an unknown content part keeps the raw part", () => {
    const part = { type: "audio", audio: { file_id: "file_1", seconds: 3 } }
    const message = right(
      Schema.decodeUnknownEither(Message.Message)({ ...fx.message, content: [part, fx.message.content[0]] })
    )
    const [unknown, text] = message.content
    assert.strictEqual(unknown.type, "unknown")
    if (unknown.type === "unknown") {
      assert.strictEqual(unknown.rawType, "audio")
      assert.deepStrictEqual(unknown.raw, part)
    }
    assert.strictEqual(text.type, "text")
    // and it encodes back to the wire as it came
    const encoded = Schema.encodeSync(Message.Message)(message)
    assert.deepStrictEqual(encoded.content[0], part)
  })

  it("a malformed known part is still an error, not an unknown member", () => {
    const result = Schema.decodeUnknownEither(Message.Message)({
      ...fx.message,
      content: [{ type: "text", text: { nope: 1 } }]
    })
    assert.isTrue(Either.isLeft(result))
  })

  it("unknown tool types, step tool calls and annotation types", () => {
    const run = right(decodeRun({ ...fx.run, tools: [{ type: "web_browser", web_browser: { depth: 2 } }] }))
    assert.strictEqual(run.tools[0].type, "unknown")
    const step = right(
      Schema.decodeUnknownEither(RunStep.RunStep)({
        ...fx.step,
        step_details: { type: "tool_calls", tool_calls: [{ id: "call_9", type: "computer_use", computer_use: {} }] }
      })
    )
    assert.strictEqual(step.stepDetails.type, "tool_calls")
    if (step.stepDetails.type === "tool_calls") assert.strictEqual(step.stepDetails.toolCalls[0].type, "unknown")
  })

  it("unknown fields are ignored", () => {
    const run = right(decodeRun({ ...fx.run, reasoning: { effort: "high" }, brand_new: 1 }))
    assert.isFalse("brand_new" in run)
  })

  it("a page with first_id: null (empty) and required-but-missing nullable keys", () => {
    const page = right(
      Schema.decodeUnknownEither(Common.ListPage(Run.Run))({
        object: "list",
        data: [],
        first_id: null,
        last_id: null,
        has_more: false
      })
    )
    assert.strictEqual(page.firstId, null)
    const { required_action: _r, usage: _u, ...noRequiredAction } = fx.run
    const run = right(decodeRun({ ...noRequiredAction, instructions: null }))
    assert.strictEqual(run.requiredAction, null)
    assert.strictEqual(run.usage, null)
    assert.strictEqual(run.instructions, null)
  })

  it("user data is never renamed", () => {
    const run = right(decodeRun({
      ...fx.run,
      metadata: { snake_key: "v", camelKey: "w" },
      tools: [{
        type: "function",
        function: { name: "f", parameters: { properties: { user_name: { type: "string" } } } }
      }]
    }))
    assert.deepStrictEqual(run.metadata, { snake_key: "v", camelKey: "w" })
    const tool = run.tools[0]
    if (tool.type === "function") {
      assert.deepStrictEqual(tool.function.parameters, { properties: { user_name: { type: "string" } } })
    }
  })

  it("round-trips every fixture to the same wire JSON", () => {
    for (
      const [schema, wire] of [[Run.Run, fx.run], [RunStep.RunStep, fx.step], [Message.Message, fx.message]] as const
    ) {
      const decoded = Schema.decodeUnknownSync(schema as Schema.Schema<any, any>)(wire)
      assert.deepStrictEqual(Schema.encodeSync(schema as Schema.Schema<any, any>)(decoded), wire)
    }
  })

  it("response formats and tool choices in every form", () => {
    for (
      const format of ["auto", { type: "text" }, { type: "json_object" }, {
        type: "json_schema",
        json_schema: { name: "x", schema: { a: 1 } }
      }]
    ) {
      right(Schema.decodeUnknownEither(Tool.ResponseFormat)(format))
    }
    for (
      const choice of ["none", "auto", "required", { type: "function", function: { name: "f" } }, {
        type: "file_search"
      }]
    ) {
      right(Schema.decodeUnknownEither(Tool.ToolChoice)(choice))
    }
  })
})

describe("AnyObject", () => {
  it("decodes every object kind by `object`", () => {
    const bodies = [
      fx.assistant,
      fx.thread,
      fx.message,
      fx.run,
      fx.step,
      { id: "asst_1", object: "assistant.deleted", deleted: true },
      { id: "thread_1", object: "thread.deleted", deleted: true },
      { id: "msg_1", object: "thread.message.deleted", deleted: true }
    ]
    for (const body of bodies) {
      const decoded = right(decodeAny(body))
      assert.strictEqual((decoded as { object: string }).object, body.object)
    }
  })

  it("decodes list pages of the four listable kinds, whatever their object says", () => {
    for (const item of [fx.assistant, fx.message, fx.run, fx.step]) {
      const decoded = right(decodeAny({ ...fx.page([item, item]), object: "whatever" })) as Common.ListPage<
        { object: string }
      >
      assert.strictEqual(decoded.data.length, 2)
      assert.strictEqual(decoded.data[0].object, item.object)
    }
    const empty = right(decodeAny(fx.page([]))) as Common.ListPage<unknown>
    assert.strictEqual(empty.firstId, null)
  })

  it("rejects what is not an API object", () => {
    assert.isTrue(Either.isLeft(decodeAny({ object: "thread.run", id: 3 })))
    assert.isTrue(Either.isLeft(decodeAny("run")))
  })
})

describe("Common.withDefault", () => {
  // the same field as `Schema.optionalWith(schema, { default })`, whose code it keeps out of
  // bundles: the two must agree on decoding, encoding and construction
  const ours = Schema.Struct({ a: Common.withDefault(Schema.Array(Schema.Number), () => [7]) })
  const effects = Schema.Struct({ a: Schema.optionalWith(Schema.Array(Schema.Number), { default: () => [7] }) })
  const outcome = <A>(f: () => A) => {
    try {
      return { ok: f() }
    } catch (e) {
      return { error: String(e) }
    }
  }

  it("decodes, encodes and constructs as optionalWith's default", () => {
    for (const input of [{}, { a: undefined }, { a: [1, 2] }, { a: null }, { a: ["x"] }, { a: [] }, null]) {
      assert.deepStrictEqual(
        outcome(() => Schema.decodeUnknownSync(ours)(input)),
        outcome(() => Schema.decodeUnknownSync(effects)(input))
      )
    }
    for (const value of [{ a: [1] }, { a: [] }, {}, { a: "x" }]) {
      assert.deepStrictEqual(
        outcome(() => Schema.encodeSync(ours)(value as never)),
        outcome(() => Schema.encodeSync(effects)(value as never))
      )
    }
    assert.deepStrictEqual(ours.make({}), effects.make({}))
    assert.deepStrictEqual(ours.make({ a: [3] }), { a: [3] })
  })
})
