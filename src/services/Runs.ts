/**
 * Runs of a thread: `list`, `create`, `get`, `modify`, `cancel`, `submitToolOutputs`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AssistantsError } from "../errors/AssistantsError.js"
import { AssistantsClient } from "../layers/AssistantsClient.js"
import { ListPage, type PageParams } from "../schema/Common.js"
import { CreateRunParams, ModifyRunParams, Run, SubmitToolOutputsParams } from "../schema/Run.js"
import { bodyEncoder, decoder, method } from "./internal/operation.js"

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
export interface RunIdParams extends ThreadIdParams {
  readonly runId: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ListParams extends PageParams, ThreadIdParams {}

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateParams extends CreateRunParams, ThreadIdParams {
  /** Extra fields in the run's steps; the only value is file search result contents. */
  readonly include?: ReadonlyArray<"step_details.tool_calls[*].file_search.results[*].content">
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ModifyParams extends ModifyRunParams, RunIdParams {}

/**
 * @since 0.1.0
 * @category models
 */
export interface SubmitParams extends SubmitToolOutputsParams, RunIdParams {}

const decodeRun = decoder(Run, "Run")
const decodePage = decoder(ListPage(Run), "ListPage<Run>")
const encodeCreate = bodyEncoder(CreateRunParams)
const encodeModify = bodyEncoder(ModifyRunParams)
const encodeSubmit = bodyEncoder(SubmitToolOutputsParams)

/**
 * @since 0.1.0
 * @category tags
 */
export class Runs extends Context.Tag("effect-assistants/Runs")<Runs, {
  readonly list: (params: ListParams) => Effect.Effect<ListPage<Run>, AssistantsError>
  readonly create: (params: CreateParams) => Effect.Effect<Run, AssistantsError>
  readonly get: (params: RunIdParams) => Effect.Effect<Run, AssistantsError>
  readonly modify: (params: ModifyParams) => Effect.Effect<Run, AssistantsError>
  readonly cancel: (params: RunIdParams) => Effect.Effect<Run, AssistantsError>
  readonly submitToolOutputs: (params: SubmitParams) => Effect.Effect<Run, AssistantsError>
}>() {}

const runPath = (p: RunIdParams) => `/threads/${p.threadId}/runs/${p.runId}`

/**
 * Builds the service over the prepared client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.map(AssistantsClient, (client) =>
  Runs.of({
    list: method(client, {
      name: "Runs.list",
      method: "GET",
      ids: ["threadId"],
      path: (p: ListParams) => `/threads/${p.threadId}/runs`,
      list: "page",
      response: decodePage
    }),
    create: method(client, {
      name: "Runs.create",
      method: "POST",
      ids: ["threadId", "assistantId"],
      path: (p: CreateParams) => `/threads/${p.threadId}/runs`,
      include: true,
      body: encodeCreate,
      create: true,
      response: decodeRun
    }),
    get: method(client, {
      name: "Runs.get",
      method: "GET",
      ids: ["threadId", "runId"],
      path: runPath,
      response: decodeRun
    }),
    modify: method(client, {
      name: "Runs.modify",
      method: "POST",
      ids: ["threadId", "runId"],
      path: (p: ModifyParams) => runPath(p),
      body: encodeModify,
      response: decodeRun
    }),
    cancel: method(client, {
      name: "Runs.cancel",
      method: "POST",
      ids: ["threadId", "runId"],
      path: (p: RunIdParams) => `${runPath(p)}/cancel`,
      response: decodeRun
    }),
    submitToolOutputs: method(client, {
      name: "Runs.submitToolOutputs",
      method: "POST",
      ids: ["threadId", "runId"],
      path: (p: SubmitParams) => `${runPath(p)}/submit_tool_outputs`,
      body: encodeSubmit,
      create: true,
      response: decodeRun
    })
  }))

/**
 * The service over `AssistantsClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Runs, never, AssistantsClient> = Layer.effect(Runs, make)

/**
 * Lists one page of a thread's runs.
 *
 * @since 0.1.0
 * @category accessors
 */
export const list = (params: ListParams) => Effect.flatMap(Runs, (s) => s.list(params))

/**
 * Starts a run of an assistant on a thread. Not retried when the server may have acted.
 *
 * @since 0.1.0
 * @category accessors
 */
export const create = (params: CreateParams) => Effect.flatMap(Runs, (s) => s.create(params))

/**
 * @since 0.1.0
 * @category accessors
 */
export const get = (params: RunIdParams) => Effect.flatMap(Runs, (s) => s.get(params))

/**
 * @since 0.1.0
 * @category accessors
 */
export const modify = (params: ModifyParams) => Effect.flatMap(Runs, (s) => s.modify(params))

/**
 * Asks the server to cancel a run; it passes through `cancelling` first.
 *
 * @since 0.1.0
 * @category accessors
 */
export const cancel = (params: RunIdParams) => Effect.flatMap(Runs, (s) => s.cancel(params))

/**
 * Answers a run's `requires_action` with the outputs of its tool calls, all in one request.
 *
 * @since 0.1.0
 * @category accessors
 */
export const submitToolOutputs = (params: SubmitParams) =>
  Effect.flatMap(Runs, (s) => s.submitToolOutputs(params))
