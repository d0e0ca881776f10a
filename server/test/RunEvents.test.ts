/**
 * The run events' bus over PostgreSQL (`RunEvents.layerPg`): two buses on one database stand for
 * two processes; what one publishes, the other's subscribers receive, in order, whole, the events
 * too large for a notification (kept in the table) among them.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type { Event } from "../src/RunEngine.js"
import * as RunEvents from "../src/RunEvents.js"
import * as Store from "../src/Store.js"
import { freshPgUrl, pgSkipped } from "./store/databases.js"
import { message, run } from "./store/fixtures.js"

const bus = (url: string) =>
  Effect.map(
    Layer.build(RunEvents.layerPg.pipe(Layer.provide(Store.layerPg({ url })))),
    Context.get(RunEvents.RunEvents)
  )

describe.skipIf(pgSkipped !== undefined)("RunEvents.layerPg", () => {
  it.scopedLive(
    "one process's events reach another's subscribers in order, large ones whole",
    () =>
      Effect.gen(function*() {
        const url = yield* freshPgUrl
        const a = yield* bus(url)
        const b = yield* bus(url)
        const received = yield* b.subscribe
        const queued = run("thread_1", "asst_1")
        const large = message("thread_1", "x".repeat(20_000), queued.id)
        const events: ReadonlyArray<Event> = [
          { event: "thread.run.created", data: queued },
          { event: "thread.message.created", data: large },
          {
            event: "thread.message.delta",
            data: {
              id: large.id,
              object: "thread.message.delta",
              delta: { content: [{ index: 0, type: "text", text: { value: "hi" } }] }
            }
          },
          { event: "thread.run.completed", data: { ...queued, status: "completed" } }
        ]
        for (const event of events) yield* a.publish(event)
        const got = yield* received.pipe(Stream.take(events.length), Stream.runCollect)
        assert.deepStrictEqual(Chunk.toReadonlyArray(got), events)
        assert.isTrue(yield* b.ready)
      }),
    { timeout: 30_000 }
  )
})
