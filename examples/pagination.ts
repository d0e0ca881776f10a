/**
 * Pagination: every list call returns one page; each `listAll` is a `Stream` of items that asks
 * for the next page (`after` the last id) only when the stream needs it.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { AssistantsLive, Messages, Threads } from "effect-assistants"
import { AssistantsServer } from "effect-assistants-server"
import * as NodeTransport from "effect-assistants/node"
import * as Chunk from "effect/Chunk"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

const program = Effect.gen(function*() {
  const thread = yield* Threads.create({})
  yield* Effect.forEach(
    Array.from({ length: 25 }, (_, i) => i + 1),
    (n) => Messages.create({ threadId: thread.id, role: "user", content: `message ${n}` }),
    { discard: true }
  )

  // one page: { data, firstId, lastId, hasMore }
  const page = yield* Messages.list({ threadId: thread.id, limit: 10, order: "asc" })
  yield* Console.log(`first page: ${page.data.length} messages, hasMore ${page.hasMore}`)

  // every message, ten per request; the stream ends when a page says hasMore: false
  const all = Messages.listAll({ threadId: thread.id, limit: 10, order: "asc" })
  yield* Console.log(`listAll: ${yield* Stream.runCount(all)} messages, 10 per request`)

  // streams compose: the first two whose text ends in 7; paging stops once it has them
  const sevens = yield* all.pipe(
    Stream.filter((message) => message.content.some((part) => part.type === "text" && part.text.value.endsWith("7"))),
    Stream.map((message) => message.id),
    Stream.take(2),
    Stream.runCollect
  )
  yield* Console.log(`ids of messages 7 and 17: ${Chunk.join(sevens, ", ")}`)
})

const Live = Layer.unwrapEffect(
  Effect.map(AssistantsServer.AssistantsServer, ({ url }) => AssistantsLive.layer({ baseUrl: url }))
).pipe(Layer.provide(NodeTransport.layer))

NodeRuntime.runMain(program.pipe(Effect.provide(Live), Effect.provide(AssistantsServer.layer())))
