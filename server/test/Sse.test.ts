/**
 * The body of a streamed run's response (`Sse.respond`), over a bus whose events the test gives:
 * which events reach the client and in what writes, `done` at the end, and the `error` event in
 * its place when the events fail or one cannot be encoded.
 */
import { assert, describe, it } from "@effect/vitest"
import { Message } from "effect-assistants/Message"
import { Run } from "effect-assistants/Run"
import { Thread } from "effect-assistants/Thread"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as fixtures from "../../test/utils/fixtures.js"
import { type Event, RunEngine } from "../src/RunEngine.js"
import * as Sse from "../src/Sse.js"

const run = Schema.decodeUnknownSync(Run)(fixtures.run)
const message = Schema.decodeUnknownSync(Message)({ ...fixtures.message, run_id: run.id, role: "assistant" })

const runEvent = (status: Run["status"], id = run.id): Event => ({
  event: `thread.run.${status}`,
  data: { ...run, id, status }
})
const delta = (id: string, text: string): Event => ({
  event: "thread.message.delta",
  data: { id, object: "thread.message.delta", delta: { content: [{ index: 0, type: "text", text: { value: text } }] } }
})

/** The body `Sse.respond` answers with over `events`: each write as text, and how the body ended. */
const body = (events: Stream.Stream<Event>, prefix: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const response = yield* Sse.respond(Effect.succeed({ run, prefix })).pipe(
      Effect.provideService(RunEngine, { subscribe: Effect.succeed(events) } as unknown as RunEngine["Type"])
    )
    assert.strictEqual(response.body._tag, "Stream")
    const written: Array<string> = []
    if (response.body._tag !== "Stream") return { written, exit: Exit.void }
    const decoder = new TextDecoder()
    const exit = yield* Effect.exit(
      Stream.runForEach(response.body.stream, (bytes) => Effect.sync(() => written.push(decoder.decode(bytes))))
    )
    return { written, exit }
  }).pipe(Effect.scoped)

/** The writes of a body that ends without failing. */
const writes = (events: Stream.Stream<Event>, prefix: ReadonlyArray<string> = []) =>
  Effect.map(body(events, prefix), ({ exit, written }) => {
    assert.isTrue(Exit.isSuccess(exit))
    return written
  })

const names = (text: string) => [...text.matchAll(/^event: (.*)$/gm)].map((m) => m[1])

describe("Sse.respond", () => {
  it.effect("the prefix, then this run's events in one write per batch (none for a batch of others'), up to the closing event and done", () =>
    Effect.gen(function*() {
      const events = Stream.fromChunks(
        Chunk.make(runEvent("in_progress"), runEvent("in_progress", "run_other")),
        Chunk.make(runEvent("queued", "run_other"), delta("msg_other", "none of this run's")),
        Chunk.make(
          { event: "thread.message.created", data: message } as Event,
          delta(message.id, "Hel"),
          delta("msg_other", "no")
        ),
        Chunk.make(delta(message.id, "lo"), runEvent("completed"), runEvent("in_progress")),
        Chunk.make(runEvent("queued"))
      )
      const written = yield* writes(events, [Sse.threadCreated(Schema.decodeUnknownSync(Thread)(fixtures.thread))])
      assert.strictEqual(written.length, 4)
      assert.deepStrictEqual(names(written[0]), ["thread.created"])
      assert.deepStrictEqual(names(written[1]), ["thread.run.in_progress"])
      assert.deepStrictEqual(names(written[2]), ["thread.message.created", "thread.message.delta"])
      assert.deepStrictEqual(names(written[3]), ["thread.message.delta", "thread.run.completed", "done"])
      assert.notInclude(written.join(""), "run_other")
      assert.notInclude(written.join(""), "msg_other")
      assert.strictEqual(written[1], Sse.encodeEvent(runEvent("in_progress")))
      assert.isTrue(written[3].endsWith(Sse.done))
    }))

  it.effect("requires_action closes the stream too", () =>
    Effect.gen(function*() {
      const written = yield* writes(Stream.make(runEvent("requires_action"), runEvent("in_progress")))
      assert.deepStrictEqual(written, [Sse.encodeEvent(runEvent("requires_action")) + Sse.done])
    }))

  it.effect("events interrupted: what was sent, then the body ends interrupted, with neither error nor done", () =>
    Effect.gen(function*() {
      const logged: Array<unknown> = []
      const { exit, written } = yield* body(
        Stream.concat(Stream.make(runEvent("in_progress")), Stream.fromEffect(Effect.interrupt))
      ).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => logged.push(message))))
      )
      assert.deepStrictEqual(written, [Sse.encodeEvent(runEvent("in_progress"))])
      assert.isTrue(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause))
      assert.deepStrictEqual(logged, [])
    }))

  it.effect("events that end before the run closes: done all the same", () =>
    Effect.gen(function*() {
      const written = yield* writes(Stream.make(runEvent("in_progress")))
      assert.deepStrictEqual(written, [Sse.encodeEvent(runEvent("in_progress")), Sse.done])
    }))

  it.effect("events that fail mid-way: what was sent, then the error event, and no done", () =>
    Effect.gen(function*() {
      const logged: Array<unknown> = []
      const written = yield* writes(Stream.concat(Stream.make(runEvent("in_progress")), Stream.die("the bus broke")))
        .pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => logged.push(message))))
        )
      assert.deepStrictEqual(written, [Sse.encodeEvent(runEvent("in_progress")), Sse.serverError])
      assert.deepStrictEqual(logged, [["a run's event stream failed"]])
    }))

  it.effect("an event that cannot be encoded: the events before it, the error event in its place, and no done", () =>
    Effect.gen(function*() {
      const broken = {
        event: "thread.run.in_progress",
        data: { ...run, createdAt: "not a number" }
      } as unknown as Event
      const written = yield* writes(Stream.make(runEvent("queued"), broken, runEvent("completed"))).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, Logger.none))
      )
      assert.deepStrictEqual(written, [Sse.encodeEvent(runEvent("queued")), Sse.serverError])
    }))
})
