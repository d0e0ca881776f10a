/**
 * The objects a path names, or the API's 404, and the checks that depend on a thread's runs.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { invalid, notFound } from "../ApiError.js"
import { activeRun, Store, type StoreError } from "../Store.js"
import { param } from "./Http.js"

/**
 * The object with `id` in `table`, or 404 naming `kind`; `belongs` checks the parent the path
 * names.
 *
 * @since 0.1.0
 * @category lookups
 */
export const getOr404 = <A extends { readonly id: string }>(
  table: { readonly get: (id: string) => Effect.Effect<A | undefined, StoreError> },
  kind: string,
  id: string,
  belongs: (a: A) => boolean = () => true
) =>
  Effect.flatMap(
    table.get(id),
    (a) => (a !== undefined && belongs(a) ? Effect.succeed(a) : Effect.fail(notFound(kind, id)))
  )

/**
 * @since 0.1.0
 * @category lookups
 */
export const getThread = (id: string) => Effect.flatMap(Store, (s) => getOr404(s.threads, "thread", id))

/**
 * The message the path names, in the thread the path names.
 *
 * @since 0.1.0
 * @category lookups
 */
export const getMessage = Effect.gen(function*() {
  const threadId = yield* param("thread_id")
  yield* getThread(threadId)
  const store = yield* Store
  return yield* getOr404(store.messages, "message", yield* param("message_id"), (m) => m.threadId === threadId)
})

/**
 * The run with `runId`, in the thread `threadId`.
 *
 * @since 0.1.0
 * @category lookups
 */
export const getRun = (threadId: string, runId: string) =>
  Effect.flatMap(Store, (s) => getOr404(s.runs, "run", runId, (r) => r.threadId === threadId))

/**
 * Fails with `what(runId)` while the thread has a run that has not ended.
 *
 * @since 0.1.0
 * @category checks
 */
export const refuseWhileActive = (threadId: string, what: (runId: string) => string) =>
  Effect.flatMap(
    Store,
    (s) =>
      Effect.flatMap(activeRun(s.runs, threadId), (runId) => (runId ? Effect.fail(invalid(what(runId))) : Effect.void))
  )
