/**
 * `AssistantStream`'s fold of events into snapshots (`apply`, `accumulate`, `snapshots`, `text`),
 * from wire events; the streaming calls over every transport against a raw loopback server (a
 * connection dropped mid-stream, an interruption the server sees, an `error` event). The calls
 * against the embedded server are in test/integration/Streaming.test.ts.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as Http from "node:http"
import { AssistantsClient, AssistantStream, RetryPolicy, Runs } from "../src/index.js"
import * as NodeTransport from "../src/layers/NodeTransport.js"
import * as fixtures from "./utils/fixtures.js"
import { type Seen, server } from "./utils/loopback.js"

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** The events of a wire body, decoded. */
const events = (...parts: ReadonlyArray<string>) =>
  AssistantStream.decodeEvents(
    Stream.make(new TextEncoder().encode(parts.join("") + sse("done", "[DONE]").replace("\"[DONE]\"", "[DONE]"))),
    { method: "POST", path: "/threads/runs", status: 200 }
  )

const run = (status: string) => ({ ...fixtures.run, status, required_action: null })
const message = {
  ...fixtures.message,
  id: "msg_a",
  role: "assistant",
  status: "in_progress",
  content: [],
  run_id: "run_abc123",
  assistant_id: "asst_abc123"
}
const messageDelta = (id: string, content: ReadonlyArray<unknown>) => ({
  id,
  object: "thread.message.delta",
  delta: { content }
})
const toolStep = {
  ...fixtures.step,
  id: "step_t",
  status: "in_progress",
  completed_at: null,
  usage: null,
  step_details: { type: "tool_calls", tool_calls: [] }
}
const stepDelta = (id: string, toolCalls: ReadonlyArray<unknown>) => ({
  id,
  object: "thread.run.step.delta",
  delta: { step_details: { type: "tool_calls", tool_calls: toolCalls } }
})

describe("accumulate", () => {
  it.effect("text deltas concatenated into content[index], annotations appended; the run as last sent", () =>
    Effect.gen(function*() {
      const final = yield* AssistantStream.accumulate(events(
        sse("thread.created", fixtures.thread),
        sse("thread.run.created", run("queued")),
        sse("thread.run.in_progress", run("in_progress")),
        sse("thread.message.created", message),
        sse("thread.message.delta", messageDelta("msg_a", [{ index: 0, type: "text", text: { value: "Hello, " } }])),
        sse(
          "thread.message.delta",
          messageDelta("msg_a", [{
            index: 0,
            type: "text",
            text: {
              value: "world",
              annotations: [{
                index: 0,
                type: "file_citation",
                text: "[1]",
                file_citation: { file_id: "file_1" },
                start_index: 7,
                end_index: 10
              }]
            }
          }])
        ),
        sse(
          "thread.message.delta",
          messageDelta("msg_a", [
            { index: 0, type: "text", text: { value: "!" } },
            { index: 1, type: "image_file", image_file: { file_id: "file_img" } }
          ])
        ),
        sse("thread.run.completed", run("completed"))
      ))
      assert.strictEqual(Option.getOrThrow(final.run).status, "completed")
      assert.strictEqual(Option.getOrThrow(final.thread).id, "thread_abc123")
      assert.strictEqual(final.messages.length, 1)
      assert.deepStrictEqual(final.messages[0].content, [
        {
          type: "text",
          text: {
            value: "Hello, world!",
            annotations: [{
              type: "file_citation",
              text: "[1]",
              fileCitation: { fileId: "file_1" },
              startIndex: 7,
              endIndex: 10
            }]
          }
        },
        { type: "image_file", imageFile: { fileId: "file_img" } }
      ])
    }))

  it.effect("a whole message replaces the accumulated one (the completed message wins over the deltas)", () =>
    Effect.gen(function*() {
      const completed = {
        ...message,
        status: "completed",
        content: [{ type: "text", text: { value: "final", annotations: [] } }]
      }
      const final = yield* AssistantStream.accumulate(events(
        sse("thread.message.created", message),
        sse("thread.message.delta", messageDelta("msg_a", [{ index: 0, type: "text", text: { value: "fin" } }])),
        sse("thread.message.completed", completed)
      ))
      assert.strictEqual(final.messages[0].status, "completed")
      assert.deepStrictEqual(final.messages[0].content, [{ type: "text", text: { value: "final", annotations: [] } }])
    }))

  it.effect("tool-call deltas: placed at their index, arguments concatenated, output set", () =>
    Effect.gen(function*() {
      const final = yield* AssistantStream.accumulate(events(
        sse("thread.run.step.created", toolStep),
        sse(
          "thread.run.step.delta",
          stepDelta("step_t", [
            { index: 0, id: "call_a", type: "function", function: { name: "f", arguments: "{\"ci", output: null } }
          ])
        ),
        sse(
          "thread.run.step.delta",
          stepDelta("step_t", [
            { index: 1, id: "call_b", type: "function", function: { name: "g", arguments: "{}" } },
            { index: 0, type: "function", function: { arguments: "ty\":\"Paris\"}" } }
          ])
        ),
        sse(
          "thread.run.step.delta",
          stepDelta("step_t", [{ index: 0, type: "function", function: { output: "sunny" } }])
        )
      ))
      const details = final.steps[0].stepDetails
      assert.strictEqual(details.type, "tool_calls")
      if (details.type === "tool_calls") {
        assert.deepStrictEqual(details.toolCalls, [
          {
            id: "call_a",
            type: "function",
            function: { name: "f", arguments: "{\"city\":\"Paris\"}", output: "sunny" }
          },
          { id: "call_b", type: "function", function: { name: "g", arguments: "{}", output: null } }
        ])
      }
    }))

  it.effect("code interpreter deltas: input concatenated, outputs appended", () =>
    Effect.gen(function*() {
      const final = yield* AssistantStream.accumulate(events(
        sse("thread.run.step.created", toolStep),
        sse(
          "thread.run.step.delta",
          stepDelta("step_t", [{
            index: 0,
            id: "call_c",
            type: "code_interpreter",
            code_interpreter: { input: "1 +" }
          }])
        ),
        sse(
          "thread.run.step.delta",
          stepDelta("step_t", [{
            index: 0,
            type: "code_interpreter",
            code_interpreter: { input: " 1", outputs: [{ index: 0, type: "logs", logs: "2" }] }
          }])
        ),
        sse(
          "thread.run.step.delta",
          stepDelta("step_t", [{
            index: 0,
            type: "code_interpreter",
            code_interpreter: { outputs: [{ index: 1, type: "image", image: { file_id: "file_plot" } }] }
          }])
        )
      ))
      const details = final.steps[0].stepDetails
      assert.deepStrictEqual(details.type === "tool_calls" ? details.toolCalls : undefined, [{
        id: "call_c",
        type: "code_interpreter",
        codeInterpreter: {
          input: "1 + 1",
          outputs: [{ type: "logs", logs: "2" }, { type: "image", image: { fileId: "file_plot" } }]
        }
      }])
    }))

  it.effect("a step never announced on this stream is added by its whole-object event (a submit stream)", () =>
    Effect.gen(function*() {
      const final = yield* AssistantStream.accumulate(events(
        sse("thread.run.queued", run("queued")),
        sse("thread.run.step.completed", fixtures.step),
        sse("thread.run.completed", run("completed"))
      ))
      assert.deepStrictEqual(final.steps.map((s) => [s.id, s.status]), [["step_abc123", "completed"]])
    }))

  it.effect("messages and steps keep creation order; deltas for what was never announced are dropped", () =>
    Effect.gen(function*() {
      const final = yield* AssistantStream.accumulate(events(
        sse("thread.message.created", { ...message, id: "msg_1" }),
        sse("thread.message.created", { ...message, id: "msg_2" }),
        sse("thread.message.delta", messageDelta("msg_1", [{ index: 0, type: "text", text: { value: "one" } }])),
        sse("thread.message.delta", messageDelta("msg_unknown", [{ index: 0, type: "text", text: { value: "x" } }])),
        sse("thread.message.completed", { ...message, id: "msg_1", status: "completed" })
      ))
      assert.deepStrictEqual(final.messages.map((m) => [m.id, m.status]), [["msg_1", "completed"], [
        "msg_2",
        "in_progress"
      ]])
    }))

  it.effect("an incomplete run is the final run (not lost, as in openai-node #1306)", () =>
    Effect.gen(function*() {
      const final = yield* AssistantStream.accumulate(events(
        sse("thread.run.in_progress", run("in_progress")),
        sse("thread.run.incomplete", {
          ...run("incomplete"),
          incomplete_details: { reason: "max_completion_tokens" }
        })
      ))
      const last = Option.getOrThrow(final.run)
      assert.deepStrictEqual([last.status, last.incompleteDetails?.reason], ["incomplete", "max_completion_tokens"])
    }))

  it.effect("the stream's finalizers have run when accumulate returns; a failure of the stream is accumulate's", () =>
    Effect.gen(function*() {
      const finalized = yield* Deferred.make<void>()
      const released = yield* Deferred.make<void>()
      // a resource of the stream's scope is released when that scope closes, not when the stream
      // ends: accumulate closes it before it returns (its own calls' streams are tested with the
      // transports below: their request is released after the caller holds the run)
      const resource = Stream.scoped(Effect.acquireRelease(Effect.void, () => Deferred.succeed(released, undefined)))
      const final = yield* AssistantStream.accumulate(
        Stream.ensuring(events(sse("thread.run.completed", run("completed"))), Deferred.succeed(finalized, undefined))
          .pipe(Stream.concat(Stream.drain(resource)))
      )
      assert.isTrue(yield* Deferred.isDone(finalized))
      assert.isTrue(yield* Deferred.isDone(released))
      assert.strictEqual(Option.getOrThrow(final.run).status, "completed")
      const error = yield* Effect.flip(AssistantStream.accumulate(
        Stream.concat(events(sse("thread.run.created", run("queued"))), Stream.fail("broken" as const))
      ))
      assert.strictEqual(error, "broken")
    }))

  it.effect("unknown events change nothing", () =>
    Effect.gen(function*() {
      const final = yield* AssistantStream.accumulate(events(sse("thread.run.paused_for_lunch", { id: "run_x" })))
      assert.deepStrictEqual(final, AssistantStream.empty)
    }))
})

describe("snapshots and text", () => {
  it.effect("one snapshot per event; the text as it is written", () =>
    Effect.gen(function*() {
      const body = [
        sse("thread.run.created", run("queued")),
        sse("thread.message.created", message),
        sse("thread.message.delta", messageDelta("msg_a", [{ index: 0, type: "text", text: { value: "Hel" } }])),
        sse("thread.message.delta", messageDelta("msg_a", [{ index: 0, type: "text", text: { value: "lo" } }])),
        sse("thread.run.completed", run("completed"))
      ]
      const all = Chunk.toArray(yield* Stream.runCollect(AssistantStream.snapshots(events(...body))))
      assert.strictEqual(all.length, 5)
      assert.deepStrictEqual(
        all.map((s) => s.messages[0]?.content[0]?.type === "text" ? s.messages[0].content[0].text.value : undefined),
        [undefined, undefined, "Hel", "Hello", "Hello"]
      )
      // an earlier snapshot is not changed by later events
      assert.strictEqual(Option.getOrThrow(all[0].run).status, "queued")
      const text = Chunk.toArray(yield* Stream.runCollect(AssistantStream.text(events(...body))))
      assert.deepStrictEqual(text, ["Hel", "lo"])
    }))
})

const transports = [
  ["FetchHttpClient", FetchHttpClient.layer],
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
  ["NodeTransport", NodeTransport.layer]
] as const

describe.each(transports)("the streaming calls over %s, against a raw loopback server", (_, transport) => {
  /** A loopback server answering every request with `handler`, and the client over `transport`. */
  const setup = (handler: (seen: Seen, response: Http.ServerResponse) => void) =>
    Effect.gen(function*() {
      const loop = yield* server(handler)
      const client = yield* Layer.build(
        AssistantsClient.layer({ baseUrl: `${loop.url}/v1`, retry: RetryPolicy.none }).pipe(
          Layer.provide(transport as Layer.Layer<HttpClient.HttpClient>)
        )
      )
      return { ...loop, client }
    })

  /** Starts an event stream, writes `body`, and hands the response over; `closed` completes when the server sees the connection close. */
  const streaming = (body: string) =>
    Effect.gen(function*() {
      const held = yield* Deferred.make<Http.ServerResponse>()
      const closed = yield* Deferred.make<void>()
      const handler = (_: Seen, response: Http.ServerResponse) => {
        response.on("close", () => Deferred.unsafeDone(closed, Effect.void))
        response.writeHead(200, { "content-type": "text/event-stream" })
        response.write(body)
        Deferred.unsafeDone(held, Effect.succeed(response))
      }
      return { handler, held, closed }
    })

  const create = Runs.createStream({ threadId: "thread_abc123", assistantId: "asst_abc123" })

  it.live("a connection dropped mid-stream: ConnectionError, outcome unknown, with the run's id; no hang", () =>
    Effect.scoped(Effect.gen(function*() {
      const { closed, handler, held } = yield* streaming(sse("thread.run.created", run("queued")))
      const { client } = yield* setup(handler)
      const seen: Array<string> = []
      const fiber = yield* Effect.fork(Effect.provide(
        Stream.runForEach(create, (e) => Effect.sync(() => seen.push(e.event))),
        client
      ))
      const response = yield* Deferred.await(held)
      response.socket?.destroy()
      yield* Deferred.await(closed)
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.deepStrictEqual(seen, ["thread.run.created"])
      assert.strictEqual(error._tag, "ConnectionError")
      if (error._tag === "ConnectionError") {
        assert.deepStrictEqual([error.outcome, error.runId, error.method, error.path], [
          "unknown",
          "run_abc123",
          "POST",
          "/threads/thread_abc123/runs"
        ])
      }
    })))

  it.live("a body that ends cleanly without done is a broken stream too", () =>
    Effect.scoped(Effect.gen(function*() {
      const { client } = yield* setup((_, response) => {
        response.writeHead(200, { "content-type": "text/event-stream" })
        response.end(sse("thread.run.created", run("queued")))
      })
      const error = yield* Effect.flip(Effect.provide(Stream.runDrain(create), client))
      assert.deepStrictEqual([error._tag, error._tag === "ConnectionError" && error.runId], [
        "ConnectionError",
        "run_abc123"
      ])
    })))

  it.live("interrupting the stream closes the connection at once, and the server sees it", () =>
    Effect.scoped(Effect.gen(function*() {
      const { closed, handler } = yield* streaming(sse("thread.run.created", run("queued")))
      const { client } = yield* setup(handler)
      const first = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(Effect.provide(
        Stream.runForEach(create, () => Deferred.succeed(first, undefined)),
        client
      ))
      yield* Deferred.await(first)
      assert.isFalse(yield* Deferred.isDone(closed))
      yield* Fiber.interrupt(fiber)
      yield* Deferred.await(closed)
    })))

  it.live("taking what one needs ends the stream and closes the connection", () =>
    Effect.scoped(Effect.gen(function*() {
      const { closed, handler } = yield* streaming(
        sse("thread.run.created", run("queued")) + sse("thread.run.queued", run("queued"))
      )
      const { client } = yield* setup(handler)
      const head = yield* Effect.provide(Stream.runHead(create), client)
      assert.strictEqual(Option.getOrThrow(head).event, "thread.run.created")
      yield* Deferred.await(closed)
    })))

  it.live("ended by done: the caller holds the final run first, then the request is released and the server sees it", () =>
    Effect.scoped(Effect.gen(function*() {
      // the server leaves the response open after done: only the client's release closes it
      const { closed, handler } = yield* streaming(
        sse("thread.run.created", run("queued")) + sse("thread.run.completed", run("completed")) +
          sse("done", "[DONE]").replace("\"[DONE]\"", "[DONE]")
      )
      const { client } = yield* setup(handler)
      const final = yield* Effect.provide(AssistantStream.accumulate(create), client)
      assert.strictEqual(Option.getOrThrow(final.run).status, "completed")
      assert.isFalse(yield* Deferred.isDone(closed))
      yield* Deferred.await(closed)
    })))

  it.live("an error event fails the stream with StreamError carrying the run's id", () =>
    Effect.scoped(Effect.gen(function*() {
      const { client } = yield* setup((_, response) => {
        response.writeHead(200, { "content-type": "text/event-stream" })
        response.end(
          sse("thread.run.created", run("queued")) +
            sse("error", { message: "boom", type: "server_error", param: null, code: null })
        )
      })
      const error = yield* Effect.flip(Effect.provide(Stream.runDrain(create), client))
      assert.deepStrictEqual(
        [error._tag, error.message, error._tag === "StreamError" && error.runId, error.outcome],
        ["StreamError", "boom", "run_abc123", "unknown"]
      )
    })))

  it.live("a status error before the stream: the tagged error, decoded from the JSON body", () =>
    Effect.scoped(Effect.gen(function*() {
      const { client } = yield* setup((_, response) => {
        response.writeHead(400, { "content-type": "application/json" })
        response.end(JSON.stringify({
          error: { message: "Invalid 'stream'", type: "invalid_request_error", param: "stream", code: null }
        }))
      })
      const error = yield* Effect.flip(Effect.provide(Stream.runDrain(create), client))
      assert.deepStrictEqual([error._tag, error._tag === "BadRequestError" && error.param], [
        "BadRequestError",
        "stream"
      ])
    })))

  it.live("the request: stream: true in the body, the event-stream accept header", () =>
    Effect.scoped(Effect.gen(function*() {
      const requests: Array<Seen> = []
      const { client } = yield* setup((seen, response) => {
        requests.push(seen)
        response.writeHead(200, { "content-type": "text/event-stream" })
        response.end(sse("done", "[DONE]").replace("\"[DONE]\"", "[DONE]"))
      })
      yield* Effect.provide(
        Stream.runDrain(Runs.createStream({
          threadId: "thread_abc123",
          assistantId: "asst_abc123",
          instructions: "be brief",
          include: ["step_details.tool_calls[*].file_search.results[*].content"]
        })),
        client
      )
      assert.strictEqual(requests.length, 1)
      assert.deepStrictEqual(JSON.parse(requests[0].body.toString("utf8")), {
        assistant_id: "asst_abc123",
        instructions: "be brief",
        stream: true
      })
      assert.strictEqual(requests[0].headers["accept"], "text/event-stream")
      assert.match(requests[0].url, /^\/v1\/threads\/thread_abc123\/runs\?include%5B%5D=/)
    })))
})
