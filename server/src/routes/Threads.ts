/**
 * `/v1/threads`: create (with messages), retrieve, modify, delete (with its messages, runs and
 * steps).
 *
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import { CreateThreadParams, ModifyThreadParams, Thread, ThreadDeleted } from "effect-assistants/Thread"
import * as Effect from "effect/Effect"
import * as Ids from "../Ids.js"
import { RunEngine, seconds } from "../RunEngine.js"
import { Store } from "../Store.js"
import * as Checks from "./Checks.js"
import { body, encoder, json, param, toolResources } from "./Http.js"
import { getThread } from "./Lookup.js"
import { newMessage } from "./Messages.js"

const encode = {
  thread: encoder(Thread),
  threadDeleted: encoder(ThreadDeleted)
}

const decode = {
  createThread: body(CreateThreadParams),
  modifyThread: body(ModifyThreadParams)
}

/**
 * Stores a thread and its initial messages.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createThread = (params: CreateThreadParams) =>
  Effect.gen(function*() {
    const store = yield* Store
    const thread: Thread = {
      id: Ids.make("thread"),
      object: "thread",
      createdAt: yield* seconds,
      toolResources: toolResources(params.toolResources),
      metadata: params.metadata ?? {}
    }
    yield* store.threads.put(thread)
    for (const m of params.messages ?? []) yield* store.messages.put(yield* newMessage(thread.id, m))
    return thread
  })

/**
 * @since 0.1.0
 * @category routers
 */
export const routes = HttpRouter.empty.pipe(
  HttpRouter.post(
    "/v1/threads",
    Effect.gen(function*() {
      const params = yield* decode.createThread(true)
      yield* Checks.messages(params.messages, "messages")
      return json(encode.thread(yield* createThread(params)))
    })
  ),
  HttpRouter.get(
    "/v1/threads/:thread_id",
    Effect.gen(function*() {
      return json(encode.thread(yield* getThread(yield* param("thread_id"))))
    })
  ),
  HttpRouter.post(
    "/v1/threads/:thread_id",
    Effect.gen(function*() {
      const thread = yield* getThread(yield* param("thread_id"))
      const params = yield* decode.modifyThread()
      const next: Thread = {
        ...thread,
        ...(params.metadata !== undefined ? { metadata: params.metadata } : {}),
        ...(params.toolResources !== undefined ? { toolResources: toolResources(params.toolResources) } : {})
      }
      yield* Effect.flatMap(Store, (s) => s.threads.put(next))
      return json(encode.thread(next))
    })
  ),
  HttpRouter.del(
    "/v1/threads/:thread_id",
    Effect.gen(function*() {
      const store = yield* Store
      const engine = yield* RunEngine
      const thread = yield* getThread(yield* param("thread_id"))
      // one transaction: a thread is never left half deleted
      yield* store.transaction(Effect.gen(function*() {
        for (const run of yield* store.runs.children({ index: "thread", key: thread.id })) {
          yield* engine.forget(run.id)
          yield* store.steps.deleteChildren({ index: "run", key: run.id })
        }
        yield* store.runs.deleteChildren({ index: "thread", key: thread.id })
        yield* store.messages.deleteChildren({ index: "thread", key: thread.id })
        yield* store.threads.delete(thread.id)
      }))
      return json(encode.threadDeleted({ id: thread.id, object: "thread.deleted", deleted: true }))
    })
  )
)
