/**
 * The decoding of a streamed run's body (`AssistantStream.decodeEvents`): chunk boundaries
 * anywhere (inside a multi-byte character, between a CR and its LF), comments, unknown names,
 * `error`, `done`, and bodies that break off.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Stream from "effect/Stream"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { AssistantStream } from "../src/index.js"
import * as fixtures from "./utils/fixtures.js"

const origin: AssistantStream.Origin = { method: "POST", path: "/threads/thread_abc123/runs", status: 200 }

const sse = (event: string, data: unknown, eol = "\n") =>
  `event: ${event}${eol}data: ${typeof data === "string" ? data : JSON.stringify(data)}${eol}${eol}`

// small objects (what the lenient decoding requires), so that every cut of the body is tried quickly
const inProgress = {
  id: "run_abc123",
  object: "thread.run",
  created_at: 1699063290,
  thread_id: "thread_abc123",
  assistant_id: "asst_abc123",
  status: "in_progress",
  model: "gpt-4o"
}
const assistantMessage = {
  id: "msg_reply",
  object: "thread.message",
  created_at: 1699017614,
  thread_id: "thread_abc123",
  role: "assistant",
  status: "in_progress",
  content: []
}
// two-byte, three-byte and four-byte (surrogate pair) characters, and a new line inside the data
const words = ["Grüße ", "日本語 ", "😀 ", "ok"]

const body = (eol = "\n") =>
  [
    `: a comment line the parser skips${eol}`,
    sse("thread.run.created", { ...inProgress, status: "queued" }, eol),
    sse("thread.run.in_progress", inProgress, eol),
    sse("thread.message.created", assistantMessage, eol),
    ...words.map((value) =>
      sse(
        "thread.message.delta",
        {
          id: "msg_reply",
          object: "thread.message.delta",
          delta: { content: [{ index: 0, type: "text", text: { value } }] }
        },
        eol
      )
    ),
    sse("thread.future.event", { anything: ["goes"] }, eol),
    sse("thread.run.completed", { ...inProgress, status: "completed" }, eol),
    sse("done", "[DONE]", eol)
  ].join("")

const encoder = new TextEncoder()

/** Decodes `chunks` of bytes; the events, or the error. */
const decode = (chunks: ReadonlyArray<Uint8Array>) =>
  Effect.either(Stream.runCollect(AssistantStream.decodeEvents(Stream.fromIterable(chunks), origin)))

/** A summary of events that is easy to compare. */
const summary = (events: Chunk.Chunk<AssistantStream.AssistantStreamEvent>) =>
  Chunk.toArray(events).map((e) =>
    e.event === "thread.message.delta"
      ? `delta ${e.data.delta.content?.map((c) => (c.type === "text" ? c.text?.value : "")).join("")}`
      : e.event === "unknown"
      ? `unknown ${e.name} ${JSON.stringify(e.data)}`
      : e.event
  )

const expected = [
  "thread.run.created",
  "thread.run.in_progress",
  "thread.message.created",
  ...words.map((w) => `delta ${w}`),
  "unknown thread.future.event {\"anything\":[\"goes\"]}",
  "thread.run.completed"
]

const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>) => {
  const sorted = [...new Set(cuts)].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let from = 0
  for (const cut of sorted) {
    out.push(bytes.subarray(from, cut))
    from = cut
  }
  out.push(bytes.subarray(from))
  return out
}

describe("decodeEvents", () => {
  it.effect("decodes every event, whole", () =>
    Effect.gen(function*() {
      const result = yield* decode([encoder.encode(body())])
      assert.isTrue(result._tag === "Right")
      if (result._tag === "Right") {
        assert.deepStrictEqual(summary(result.right), expected)
        const created = Chunk.unsafeGet(result.right, 0)
        assert.strictEqual(created.event === "thread.run.created" && created.data.threadId, "thread_abc123")
      }
    }))

  it.effect("full objects decode as the non-streaming calls decode them", () =>
    Effect.gen(function*() {
      const result = yield* decode([
        encoder.encode(
          sse("thread.run.requires_action", fixtures.run) + sse("thread.run.step.completed", fixtures.step) +
            sse("thread.message.completed", fixtures.message) + sse("thread.created", fixtures.thread) +
            sse("done", "[DONE]")
        )
      ])
      assert.isTrue(result._tag === "Right")
      if (result._tag === "Right") {
        const [run, step, message, thread] = Chunk.toArray(result.right)
        assert.strictEqual(
          run.event === "thread.run.requires_action" && run.data.requiredAction?.type,
          "submit_tool_outputs"
        )
        assert.strictEqual(step.event === "thread.run.step.completed" && step.data.usage?.totalTokens, 579)
        assert.strictEqual(message.event === "thread.message.completed" && message.data.content.length, 1)
        assert.strictEqual(thread.event === "thread.created" && thread.data.id, "thread_abc123")
      }
    }))

  for (const eol of ["\n", "\r\n", "\r"]) {
    it.effect(`the same events split in two at every byte boundary (${JSON.stringify(eol)} line endings)`, () =>
      Effect.gen(function*() {
        const bytes = encoder.encode(body(eol))
        // the multi-byte characters are in there, so some cuts fall inside one
        assert.isAbove(bytes.length, body(eol).length)
        for (let cut = 0; cut <= bytes.length; cut++) {
          const result = yield* decode(splitAt(bytes, [cut]))
          assert.isTrue(result._tag === "Right", `cut at ${cut}`)
          if (result._tag === "Right") assert.deepStrictEqual(summary(result.right), expected, `cut at ${cut}`)
        }
      }))
  }

  it.effect("one byte at a time, CRLF", () =>
    Effect.gen(function*() {
      const bytes = encoder.encode(body("\r\n"))
      const result = yield* decode(Array.from(bytes, (b) => Uint8Array.of(b)))
      assert.isTrue(result._tag === "Right")
      if (result._tag === "Right") assert.deepStrictEqual(summary(result.right), expected)
    }))

  it.effect.prop(
    "any set of cuts gives the same events",
    [FastCheck.array(FastCheck.nat({ max: 4000 }), { maxLength: 12 }), FastCheck.constantFrom("\n", "\r\n")],
    ([cuts, eol]) =>
      Effect.gen(function*() {
        const bytes = encoder.encode(body(eol))
        const result = yield* decode(splitAt(bytes, cuts.map((c) => c % (bytes.length + 1))))
        return result._tag === "Right" && JSON.stringify(summary(result.right)) === JSON.stringify(expected)
      })
  )

  it.effect("reading stops at done: what follows is not read", () =>
    Effect.gen(function*() {
      const result = yield* decode([
        encoder.encode(sse("thread.run.completed", fixtures.run) + sse("done", "[DONE]")),
        encoder.encode("this is not an event stream at all\n\n")
      ])
      assert.isTrue(result._tag === "Right")
      if (result._tag === "Right") assert.deepStrictEqual(summary(result.right), ["thread.run.completed"])
    }))

  it.effect("an error event fails the stream with StreamError, after the events before it", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const error = yield* Effect.flip(
        Stream.runForEach(
          AssistantStream.decodeEvents(
            Stream.make(encoder.encode(
              sse("thread.run.created", fixtures.run) +
                sse("error", { message: "The server had an error.", type: "server_error", param: null, code: "oops" })
            )),
            origin
          ),
          (e) => Effect.sync(() => seen.push(e.event))
        )
      )
      assert.deepStrictEqual(seen, ["thread.run.created"])
      assert.strictEqual(error._tag, "StreamError")
      if (error._tag === "StreamError") {
        assert.strictEqual(error.message, "The server had an error.")
        assert.strictEqual(error.code, "oops")
        assert.strictEqual(error.outcome, "unknown")
        assert.strictEqual(error.runId, "run_abc123")
      }
    }))

  it.effect("an error event whose data is not JSON still fails with StreamError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Stream.runDrain(AssistantStream.decodeEvents(Stream.make(encoder.encode(sse("error", "boom"))), origin))
      )
      assert.deepStrictEqual([error._tag, error.message], ["StreamError", "boom"])
    }))

  it.effect("a body that ends without done is a broken stream: ConnectionError with the run's id", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Stream.runDrain(
          AssistantStream.decodeEvents(Stream.make(encoder.encode(sse("thread.run.created", fixtures.run))), origin)
        )
      )
      assert.strictEqual(error._tag, "ConnectionError")
      if (error._tag === "ConnectionError") {
        assert.strictEqual(error.outcome, "unknown")
        assert.strictEqual(error.runId, "run_abc123")
      }
    }))

  it.effect("a body that fails before the run was announced: ConnectionError without a run id", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Stream.runDrain(
          AssistantStream.decodeEvents(
            Stream.concat(Stream.make(encoder.encode(": hello\n\n")), Stream.fail(new Error("socket hang up"))),
            origin
          )
        )
      )
      assert.strictEqual(error._tag, "ConnectionError")
      if (error._tag === "ConnectionError") {
        assert.strictEqual(error.runId, undefined)
        assert.match(error.message, /socket hang up/)
      }
    }))

  it.effect("a known event whose data does not match fails with ResponseDecodeError naming the schema", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Stream.runDrain(
          AssistantStream.decodeEvents(
            Stream.make(encoder.encode(sse("thread.run.completed", { ...fixtures.run, id: 42 }))),
            origin
          )
        )
      )
      assert.strictEqual(error._tag, "ResponseDecodeError")
      if (error._tag === "ResponseDecodeError") {
        assert.deepStrictEqual([error.reason, error.schema, error.at], ["schema-mismatch", "Run", "data.id"])
      }
    }))

  it.effect("an unknown event whose data is not JSON keeps the text", () =>
    Effect.gen(function*() {
      const result = yield* decode([encoder.encode(sse("ping", "not json") + sse("done", "[DONE]"))])
      assert.isTrue(result._tag === "Right")
      if (result._tag === "Right") assert.deepStrictEqual(summary(result.right), ["unknown ping \"not json\""])
    }))

  it.effect("a run the client does not know the status of still decodes (lenient)", () =>
    Effect.gen(function*() {
      const result = yield* decode([
        encoder.encode(
          sse("thread.run.completed", {
            ...fixtures.run,
            status: "paused",
            instructions: null,
            required_action: undefined
          }) +
            sse("done", "[DONE]")
        )
      ])
      assert.isTrue(result._tag === "Right")
      if (result._tag === "Right") {
        const event = Chunk.unsafeGet(result.right, 0)
        assert.strictEqual(event.event === "thread.run.completed" ? event.data.status : undefined, "paused")
        assert.strictEqual(event.event === "thread.run.completed" ? event.data.requiredAction : undefined, null)
      }
    }))

  it.live("memory stays flat over 100,000 events", () =>
    Effect.gen(function*() {
      // a collection on demand, as --expose-gc would give
      setFlagsFromString("--expose-gc")
      const gc = runInNewContext("gc") as () => void
      const delta = {
        id: "msg_a",
        object: "thread.message.delta",
        delta: { content: [{ index: 0, type: "text", text: { value: "word " } }] }
      }
      const block = encoder.encode(Array.from({ length: 100 }, () => sse("thread.message.delta", delta)).join(""))
      const bytes = Stream.concat(
        Stream.take(Stream.repeatValue(block), 1000),
        Stream.make(encoder.encode(sse("done", "[DONE]")))
      )
      let n = 0
      const heap: Array<number> = []
      yield* Stream.runForEach(
        AssistantStream.text(AssistantStream.decodeEvents(bytes, origin)),
        () =>
          Effect.sync(() => {
            if (++n % 20_000 === 0) {
              gc()
              heap.push(process.memoryUsage().heapUsed)
            }
          })
      )
      assert.strictEqual(n, 100_000)
      // from the first sample to the last: no more than a few megabytes, whatever was streamed
      assert.isBelow(Math.max(...heap) - heap[0], 4_000_000, heap.map((h) => `${(h / 1e6).toFixed(1)} MB`).join(", "))
    }))
})
