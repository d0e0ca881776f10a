/**
 * Threads: `create`, `get`, `modify`, `delete`, and `createAndRun` (a thread and a run in one call).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { AssistantsError } from "../errors/AssistantsError.js"
import { AssistantsClient, type Response } from "../layers/AssistantsClient.js"
import { Run } from "../schema/Run.js"
import {
  CreateThreadAndRunParams,
  CreateThreadParams,
  ModifyThreadParams,
  Thread,
  ThreadDeleted
} from "../schema/Thread.js"
import { bodyEncoder, decoder, method, methodWithHeaders, type Spec } from "./internal/operation.js"
import * as RunPolling from "./RunPolling.js"
import { Runs } from "./Runs.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ThreadIdParams {
  readonly threadId: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ModifyParams extends ModifyThreadParams, ThreadIdParams {}

const decodeThread = decoder(Thread, "Thread")
const decodeDeleted = decoder(ThreadDeleted, "ThreadDeleted")
const decodeRun = decoder(Run, "Run")
const encodeCreate = bodyEncoder(CreateThreadParams)
const encodeModify = bodyEncoder(ModifyThreadParams)
const encodeCreateAndRun = bodyEncoder(CreateThreadAndRunParams)

/**
 * @since 0.1.0
 * @category tags
 */
export class Threads extends Context.Tag("effect-assistants/Threads")<Threads, {
  readonly create: (params?: CreateThreadParams) => Effect.Effect<Thread, AssistantsError>
  readonly get: (params: ThreadIdParams) => Effect.Effect<Thread, AssistantsError>
  readonly modify: (params: ModifyParams) => Effect.Effect<Thread, AssistantsError>
  readonly delete: (params: ThreadIdParams) => Effect.Effect<ThreadDeleted, AssistantsError>
  readonly createAndRun: (params: CreateThreadAndRunParams) => Effect.Effect<Run, AssistantsError>
  /** `createAndRun`, keeping the response headers (`openai-poll-after-ms`, `x-request-id`). */
  readonly createAndRunWithHeaders: (params: CreateThreadAndRunParams) => Effect.Effect<Response<Run>, AssistantsError>
}>() {}

const createAndRunSpec: Spec<CreateThreadAndRunParams, Run> = {
  name: "Threads.createAndRun",
  method: "POST",
  ids: ["assistantId"],
  path: () => "/threads/runs",
  body: encodeCreateAndRun,
  create: true,
  response: decodeRun
}

/**
 * Builds the service over the prepared client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.map(AssistantsClient, (client) =>
  Threads.of({
    create: method<CreateThreadParams | undefined, Thread>(client, {
      name: "Threads.create",
      method: "POST",
      ids: [],
      path: () => "/threads",
      body: (p) => encodeCreate(p ?? {}),
      create: true,
      response: decodeThread
    }),
    get: method(client, {
      name: "Threads.get",
      method: "GET",
      ids: ["threadId"],
      path: (p: ThreadIdParams) => `/threads/${p.threadId}`,
      response: decodeThread
    }),
    modify: method(client, {
      name: "Threads.modify",
      method: "POST",
      ids: ["threadId"],
      path: (p: ModifyParams) => `/threads/${p.threadId}`,
      body: encodeModify,
      response: decodeThread
    }),
    delete: method(client, {
      name: "Threads.delete",
      method: "DELETE",
      ids: ["threadId"],
      path: (p: ThreadIdParams) => `/threads/${p.threadId}`,
      response: decodeDeleted
    }),
    createAndRun: method(client, createAndRunSpec),
    createAndRunWithHeaders: methodWithHeaders(client, createAndRunSpec)
  }))

/**
 * The service over `AssistantsClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Threads, never, AssistantsClient> = Layer.effect(Threads, make)

/**
 * Creates a thread, optionally with initial messages.
 *
 * @example
 * ```ts
 * import { Threads } from "effect-assistants"
 * import * as Effect from "effect/Effect"
 *
 * // each accessor needs the `Threads` service (`AssistantsLive.layer` provides it)
 * const program = Effect.gen(function*() {
 *   const thread = yield* Threads.create({ messages: [{ role: "user", content: "Hello" }] })
 *   yield* Threads.modify({ threadId: thread.id, metadata: { topic: "greeting" } })
 *   return thread.id
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const create = (params?: CreateThreadParams) => Effect.flatMap(Threads, (s) => s.create(params))

/**
 * @since 0.1.0
 * @category accessors
 */
export const get = (params: ThreadIdParams) => Effect.flatMap(Threads, (s) => s.get(params))

/**
 * @since 0.1.0
 * @category accessors
 */
export const modify = (params: ModifyParams) => Effect.flatMap(Threads, (s) => s.modify(params))

/**
 * Creates a thread and starts a run on it in one request.
 *
 * @since 0.1.0
 * @category accessors
 */
export const createAndRun = (params: CreateThreadAndRunParams) => Effect.flatMap(Threads, (s) => s.createAndRun(params))

/**
 * Creates a thread and a run, then waits until the run is terminal or requires action.
 *
 * @since 0.1.0
 * @category polling
 */
export const createAndRunPoll = (
  params: CreateThreadAndRunParams & RunPolling.PollOptions
): Effect.Effect<Run, AssistantsError, Threads | Runs> =>
  Effect.flatMap(
    Threads,
    (threads) =>
      Effect.flatMap(threads.createAndRunWithHeaders(params), (response) =>
        Effect.flatMap(Runs, (runs) =>
          RunPolling.poll(
            runs,
            { ...params, threadId: response.value.threadId, runId: response.value.id },
            RunPolling.seedOf(response, Option.none())
          )))
  )

const del = (params: ThreadIdParams) => Effect.flatMap(Threads, (s) => s.delete(params))

export {
  /**
   * Deletes a thread.
   *
   * @since 0.1.0
   * @category accessors
   */
  del as delete
}

export {
  /**
   * Creates a thread and a run in one call and streams the events, `thread.created` first (see
   * `AssistantStream.createThreadAndRunStream`).
   *
   * @since 0.1.0
   * @category streaming
   */
  createThreadAndRunStream as createAndRunStream
} from "./AssistantStream.js"
