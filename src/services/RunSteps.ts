/**
 * Steps of a run: `list` and `get`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AssistantsError } from "../errors/AssistantsError.js"
import { AssistantsClient } from "../layers/AssistantsClient.js"
import { Include as IncludeSchema, ListPage, type PageParams } from "../schema/Common.js"
import { RunStep } from "../schema/RunStep.js"
import { decoder, listAll as paginate, method } from "./internal/operation.js"

/**
 * The one `include[]` value: file search result contents.
 *
 * @since 0.1.0
 * @category models
 */
export type Include = typeof IncludeSchema.Type

/**
 * @since 0.1.0
 * @category models
 */
export interface ListParams extends PageParams {
  readonly threadId: string
  readonly runId: string
  readonly include?: Include
}

/**
 * @since 0.1.0
 * @category models
 */
export interface GetParams {
  readonly threadId: string
  readonly runId: string
  readonly stepId: string
  readonly include?: Include
}

const decodeStep = decoder(RunStep, "RunStep")
const decodePage = decoder(ListPage(RunStep), "ListPage<RunStep>")

/**
 * @since 0.1.0
 * @category tags
 */
export class RunSteps extends Context.Tag("effect-assistants/RunSteps")<RunSteps, {
  readonly list: (params: ListParams) => Effect.Effect<ListPage<RunStep>, AssistantsError>
  readonly get: (params: GetParams) => Effect.Effect<RunStep, AssistantsError>
}>() {}

/**
 * Builds the service over the prepared client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.map(AssistantsClient, (client) =>
  RunSteps.of({
    list: method(client, {
      name: "RunSteps.list",
      method: "GET",
      ids: ["threadId", "runId"],
      path: (p: ListParams) => `/threads/${p.threadId}/runs/${p.runId}/steps`,
      list: "page",
      include: true,
      response: decodePage
    }),
    get: method(client, {
      name: "RunSteps.get",
      method: "GET",
      ids: ["threadId", "runId", "stepId"],
      path: (p: GetParams) => `/threads/${p.threadId}/runs/${p.runId}/steps/${p.stepId}`,
      include: true,
      response: decodeStep
    })
  }))

/**
 * The service over `AssistantsClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<RunSteps, never, AssistantsClient> = Layer.effect(RunSteps, make)

/**
 * Lists one page of a run's steps.
 *
 * @example
 * ```ts
 * import { RunSteps } from "effect-assistants"
 * import * as Effect from "effect/Effect"
 *
 * // each accessor needs the `RunSteps` service (`AssistantsLive.layer` provides it)
 * const program = Effect.gen(function*() {
 *   const page = yield* RunSteps.list({ threadId: "thread_abc", runId: "run_abc" })
 *   return page.data.map((step) => step.stepDetails.type)
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const list = (params: ListParams) => Effect.flatMap(RunSteps, (s) => s.list(params))

/**
 * Every item, as a stream that pages with `after` until `has_more` is false (one page in memory
 * at a time). `order` and `limit` (the page size) are honoured.
 *
 * @since 0.1.0
 * @category accessors
 */
export const listAll = (params: ListParams) => paginate(list)(params)

/**
 * @since 0.1.0
 * @category accessors
 */
export const get = (params: GetParams) => Effect.flatMap(RunSteps, (s) => s.get(params))
