/**
 * The server's streamed runs, on the wire: the event sequence of each run-creating route with
 * `stream: true`, every event checked against the official stream contract, the `stream`
 * parameter's values, failures, cancellation, and a client that goes away.
 */
import * as Sse from "@effect/experimental/Sse"
import { assert, describe, it } from "@effect/vitest"
import { AssistantsServer, RunEngine } from "effect-assistants-server"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { fastTimings } from "../../test/utils/Harness.js"
import * as StreamContract from "../../test/utils/StreamContract.js"

interface WireEvent {
  readonly event: string
  readonly data: string
}

const headers = { "content-type": "application/json", "openai-beta": "assistants=v2" }

/** The server's events, parsed as any SSE client would, each checked against the contract. */
const parse = (text: string): Array<WireEvent> => {
  const events: Array<WireEvent> = []
  const parser = Sse.makeParser((e) => {
    if (e._tag === "Event") events.push({ event: e.event, data: e.data })
  })
  parser.feed(text)
  for (const e of events) {
    const violation = StreamContract.check(e.event, e.data)
    assert.isUndefined(violation, violation)
  }
  return events
}

const json = (e: WireEvent) => JSON.parse(e.data)

/** The names, with runs of deltas collapsed into one entry (their count varies with the text). */
/** What a run streams from the creation of its message step (one delta) to its end. */
const messageStepToCompletion = [
  "thread.run.step.created",
  "thread.run.step.in_progress",
  "thread.message.created",
  "thread.message.in_progress",
  "thread.message.delta",
  "thread.message.completed",
  "thread.run.step.completed",
  "thread.run.completed",
  "done"
]

const shape = (events: ReadonlyArray<WireEvent>) =>
  events.map((e) => e.event).filter((name, i, all) => !(name.endsWith(".delta") && all[i - 1] === name))

const client = (url: string) => {
  const post = (path: string, body: unknown, init: RequestInit = {}) =>
    Effect.promise(() => fetch(url + path, { method: "POST", headers, body: JSON.stringify(body), ...init }))
  const call = <A = any>(path: string, body?: unknown) =>
    Effect.promise(async () => {
      const response = await fetch(
        url + path,
        body === undefined ? { headers } : {
          method: "POST",
          headers,
          body: JSON.stringify(body)
        }
      )
      return (await response.json()) as A
    })
  const stream = (path: string, body: unknown) =>
    Effect.gen(function*() {
      const response = yield* post(path, { ...body as object, stream: true })
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.headers.get("content-type"), "text/event-stream")
      return parse(yield* Effect.promise(() => response.text()))
    })
  return { post, call, stream }
}

const weather = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
  }
}

const live = <A, E>(
  body: (
    api: ReturnType<typeof client>
  ) => Effect.Effect<A, E, AssistantsServer.AssistantsServer | RunEngine.RunEngine>,
  timings: Partial<RunEngine.Timings> = {}
) =>
  Effect.gen(function*() {
    const { url } = yield* AssistantsServer.AssistantsServer
    return yield* body(client(url))
  }).pipe(Effect.provide(AssistantsServer.layer({ timings: { ...fastTimings, ...timings } })))

describe("streamed runs", () => {
  it.live("createThreadAndRun: the API's event sequence, the text word by word, every event per the contract", () =>
    live(({ call, stream }) =>
      Effect.gen(function*() {
        const assistant = yield* call("/assistants", { model: "gpt-4o" })
        const events = yield* stream("/threads/runs", {
          assistant_id: assistant.id,
          thread: { messages: [{ role: "user", content: "hello there, streaming world" }] }
        })
        assert.deepStrictEqual(shape(events), [
          "thread.created",
          "thread.run.created",
          "thread.run.queued",
          "thread.run.in_progress",
          ...messageStepToCompletion
        ])
        const deltas = events.filter((e) => e.event === "thread.message.delta").map(json)
        assert.deepStrictEqual(deltas.map((d) => d.delta.content[0].text.value), [
          "You ",
          "said: ",
          "hello ",
          "there, ",
          "streaming ",
          "world"
        ])
        // deltas carry { id, object, delta } only
        for (const d of deltas) assert.deepStrictEqual(Object.keys(d), ["id", "object", "delta"])
        const completed = json(events.find((e) => e.event === "thread.message.completed")!)
        assert.strictEqual(completed.content[0].text.value, "You said: hello there, streaming world")
        assert.strictEqual(deltas[0].id, completed.id)
        // what the stream said is what a read says afterwards
        const run = json(events.find((e) => e.event === "thread.run.completed")!)
        assert.deepStrictEqual(yield* call(`/threads/${run.thread_id}/runs/${run.id}`), run)
        assert.deepStrictEqual(yield* call(`/threads/${run.thread_id}/messages/${completed.id}`), completed)
        assert.strictEqual(json(events[0]).id, run.thread_id)
      })
    ))

  it.live("a tool round: the calls stream as step deltas, the stream ends at requires_action, submit continues", () =>
    live(({ call, stream }) =>
      Effect.gen(function*() {
        const assistant = yield* call("/assistants", { model: "gpt-4o", tools: [weather] })
        const thread = yield* call("/threads", { messages: [{ role: "user", content: "get_weather for me" }] })
        const first = yield* stream(`/threads/${thread.id}/runs`, { assistant_id: assistant.id })
        assert.deepStrictEqual(shape(first), [
          "thread.run.created",
          "thread.run.queued",
          "thread.run.in_progress",
          "thread.run.step.created",
          "thread.run.step.in_progress",
          "thread.run.step.delta",
          "thread.run.requires_action",
          "done"
        ])
        const created = json(first.find((e) => e.event === "thread.run.step.created")!)
        assert.deepStrictEqual(created.step_details, { type: "tool_calls", tool_calls: [] })
        const pieces = first.filter((e) => e.event === "thread.run.step.delta").map(json)
        assert.isAbove(pieces.length, 1)
        for (const d of pieces) assert.deepStrictEqual(Object.keys(d), ["id", "object", "delta"])
        const head = pieces[0].delta.step_details.tool_calls[0]
        const args = pieces.map((d) => d.delta.step_details.tool_calls[0].function.arguments).join("")
        const waiting = json(first[first.length - 2])
        const asked = waiting.required_action.submit_tool_outputs.tool_calls[0]
        assert.deepStrictEqual([head.id, head.function.name, args], [asked.id, "get_weather", asked.function.arguments])

        const second = yield* stream(`/threads/${thread.id}/runs/${waiting.id}/submit_tool_outputs`, {
          tool_outputs: [{ tool_call_id: asked.id, output: "sunny" }]
        })
        assert.deepStrictEqual(shape(second), [
          "thread.run.queued",
          "thread.run.step.completed",
          "thread.run.in_progress",
          ...messageStepToCompletion
        ])
        const toolStep = json(second[1])
        assert.strictEqual(toolStep.id, created.id)
        assert.strictEqual(toolStep.step_details.tool_calls[0].function.output, "sunny")
      })
    ))

  it.live("a model failure ends with thread.run.failed then done, not an error event", () =>
    live(({ call, stream }) =>
      Effect.gen(function*() {
        const assistant = yield* call("/assistants", { model: "gpt-4o" })
        const events = yield* stream("/threads/runs", {
          assistant_id: assistant.id,
          thread: { messages: [{ role: "user", content: "[fail]" }] }
        })
        assert.deepStrictEqual(events.slice(-2).map((e) => e.event), ["thread.run.failed", "done"])
        assert.strictEqual(json(events[events.length - 2]).last_error.code, "server_error")
        assert.isFalse(events.some((e) => e.event === "error"))
      })
    ))

  it.live("an incomplete run ends with thread.run.incomplete then done", () =>
    live(({ call, stream }) =>
      Effect.gen(function*() {
        const assistant = yield* call("/assistants", { model: "gpt-4o" })
        const events = yield* stream("/threads/runs", {
          assistant_id: assistant.id,
          thread: { messages: [{ role: "user", content: "stop early [incomplete]" }] }
        })
        assert.deepStrictEqual(events.slice(-2).map((e) => e.event), ["thread.run.incomplete", "done"])
        assert.strictEqual(json(events[events.length - 2]).incomplete_details.reason, "max_completion_tokens")
      })
    ))

  it.live("stream false and null answer JSON; any other value is a 400 naming stream", () =>
    live(({ call, post }) =>
      Effect.gen(function*() {
        const assistant = yield* call("/assistants", { model: "gpt-4o" })
        for (const stream of [false, null]) {
          const response = yield* post("/threads/runs", { assistant_id: assistant.id, stream })
          assert.strictEqual(response.status, 200)
          assert.match(response.headers.get("content-type")!, /^application\/json/)
          assert.strictEqual((yield* Effect.promise(() => response.json())).object, "thread.run")
        }
        const thread = yield* call("/threads", {})
        for (
          const [path, body] of [
            ["/threads/runs", { assistant_id: assistant.id }],
            [`/threads/${thread.id}/runs`, { assistant_id: assistant.id }],
            [`/threads/${thread.id}/runs/run_x/submit_tool_outputs`, { tool_outputs: [] }]
          ] as const
        ) {
          for (const stream of ["true", 1, {}]) {
            const response = yield* post(path, { ...body, stream })
            const error = (yield* Effect.promise(() => response.json())).error
            if (path.endsWith("submit_tool_outputs")) {
              // the run is looked up first, as for any other body
              assert.strictEqual(response.status, 404)
              continue
            }
            assert.strictEqual(response.status, 400)
            assert.deepStrictEqual([error.type, error.param], ["invalid_request_error", "stream"])
          }
        }
      })
    ))

  it.live("a request the server refuses is a JSON error, before any event", () =>
    live(({ post }) =>
      Effect.gen(function*() {
        const response = yield* post("/threads/runs", { assistant_id: "asst_missing", stream: true })
        assert.strictEqual(response.status, 404)
        assert.match(response.headers.get("content-type")!, /^application\/json/)
      })
    ))

  it.live("a client that goes away mid-stream does not cancel the run", () =>
    live(({ call, post }) =>
      Effect.gen(function*() {
        const engine = yield* RunEngine.RunEngine
        const assistant = yield* call("/assistants", { model: "gpt-4o" })
        const thread = yield* call("/threads", {
          messages: [{ role: "user", content: "a long answer, one word at a time, please" }]
        })
        const controller = new AbortController()
        const response = yield* post(`/threads/${thread.id}/runs`, { assistant_id: assistant.id, stream: true }, {
          signal: controller.signal
        })
        // read until the first delta, then hang up
        const reader = response.body!.getReader()
        const decoder = new TextDecoder()
        let text = ""
        for (let i = 0; i < 1000 && !text.includes("thread.message.delta"); i++) {
          const chunk = yield* Effect.promise(() => reader.read())
          if (chunk.done) break
          text += decoder.decode(chunk.value, { stream: true })
        }
        const runId = JSON.parse(/data: (.*)\n/.exec(text)![1]).id as string
        const ended = yield* Effect.fork(Stream.runHead(Stream.filter(
          yield* engine.subscribe,
          (e) => e.data.object === "thread.run" && e.data.id === runId && e.data.status === "completed"
        )))
        controller.abort()
        yield* Effect.promise(() => reader.cancel().catch(() => undefined))
        yield* Effect.timeoutFail(Effect.fromFiber(ended), {
          duration: "10 seconds",
          onTimeout: () => new Error("the run did not complete")
        })
        const run = yield* call(`/threads/${thread.id}/runs/${runId}`)
        assert.strictEqual(run.status, "completed")
      }).pipe(Effect.scoped), { delta: "10 millis" }))

  it.live("a run cancelled while its reply streams: the message ends incomplete, then the run, then done", () =>
    live(({ call, post }) =>
      Effect.gen(function*() {
        const assistant = yield* call("/assistants", { model: "gpt-4o" })
        const thread = yield* call("/threads", { messages: [{ role: "user", content: "one two three four five six" }] })
        const response = yield* post(`/threads/${thread.id}/runs`, { assistant_id: assistant.id, stream: true })
        const reader = response.body!.getReader()
        const decoder = new TextDecoder()
        let text = ""
        let cancelled = false
        for (let i = 0; i < 10_000; i++) {
          const chunk = yield* Effect.promise(() => reader.read())
          if (chunk.done) break
          text += decoder.decode(chunk.value, { stream: true })
          if (!cancelled && text.includes("thread.message.delta")) {
            cancelled = true
            const runId = JSON.parse(/data: (.*)\n/.exec(text)![1]).id as string
            yield* call(`/threads/${thread.id}/runs/${runId}/cancel`, {})
          }
        }
        const events = parse(text)
        assert.deepStrictEqual(events.slice(-4).map((e) => e.event), [
          "thread.message.incomplete",
          "thread.run.step.cancelled",
          "thread.run.cancelled",
          "done"
        ])
        const message = json(events[events.length - 4])
        assert.strictEqual(message.incomplete_details.reason, "run_cancelled")
        const written = events.filter((e) => e.event === "thread.message.delta")
          .map((e) => json(e).delta.content[0].text.value).join("")
        assert.strictEqual(message.content[0]?.text.value ?? "", written)
      }), { delta: "10 millis" }))
})
