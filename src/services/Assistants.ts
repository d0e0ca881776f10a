/**
 * Assistants: `list`, `create`, `get`, `modify`, `delete`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AssistantsError } from "../errors/AssistantsError.js"
import { AssistantsClient } from "../layers/AssistantsClient.js"
import { Assistant, AssistantDeleted, CreateAssistantParams, ModifyAssistantParams } from "../schema/Assistant.js"
import { ListPage, type PageParams } from "../schema/Common.js"
import { bodyEncoder, decoder, listAll as paginate, method } from "./internal/operation.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface AssistantIdParams {
  readonly assistantId: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ModifyParams extends ModifyAssistantParams, AssistantIdParams {}

const decodeAssistant = decoder(Assistant, "Assistant")
const decodePage = decoder(ListPage(Assistant), "ListPage<Assistant>")
const decodeDeleted = decoder(AssistantDeleted, "AssistantDeleted")
const encodeCreate = bodyEncoder(CreateAssistantParams)
const encodeModify = bodyEncoder(ModifyAssistantParams)

/**
 * @since 0.1.0
 * @category tags
 */
export class Assistants extends Context.Tag("effect-assistants/Assistants")<Assistants, {
  readonly list: (params?: PageParams) => Effect.Effect<ListPage<Assistant>, AssistantsError>
  readonly create: (params: CreateAssistantParams) => Effect.Effect<Assistant, AssistantsError>
  readonly get: (params: AssistantIdParams) => Effect.Effect<Assistant, AssistantsError>
  readonly modify: (params: ModifyParams) => Effect.Effect<Assistant, AssistantsError>
  readonly delete: (params: AssistantIdParams) => Effect.Effect<AssistantDeleted, AssistantsError>
}>() {}

/**
 * Builds the service over the prepared client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.map(AssistantsClient, (client) =>
  Assistants.of({
    list: method<PageParams | undefined, ListPage<Assistant>>(client, {
      name: "Assistants.list",
      method: "GET",
      ids: [],
      path: () => "/assistants",
      list: "page",
      response: decodePage
    }),
    create: method(client, {
      name: "Assistants.create",
      method: "POST",
      ids: [],
      path: () => "/assistants",
      body: encodeCreate,
      create: true,
      response: decodeAssistant
    }),
    get: method(client, {
      name: "Assistants.get",
      method: "GET",
      ids: ["assistantId"],
      path: (p: AssistantIdParams) => `/assistants/${p.assistantId}`,
      response: decodeAssistant
    }),
    modify: method(client, {
      name: "Assistants.modify",
      method: "POST",
      ids: ["assistantId"],
      path: (p: ModifyParams) => `/assistants/${p.assistantId}`,
      body: encodeModify,
      response: decodeAssistant
    }),
    delete: method(client, {
      name: "Assistants.delete",
      method: "DELETE",
      ids: ["assistantId"],
      path: (p: AssistantIdParams) => `/assistants/${p.assistantId}`,
      response: decodeDeleted
    })
  }))

/**
 * The service over `AssistantsClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Assistants, never, AssistantsClient> = Layer.effect(Assistants, make)

/**
 * Lists one page of assistants.
 *
 * @since 0.1.0
 * @category accessors
 */
export const list = (params?: PageParams) => Effect.flatMap(Assistants, (s) => s.list(params))

/**
 * Every item, as a stream that pages with `after` until `has_more` is false (one page in memory
 * at a time). `order` and `limit` (the page size) are honoured.
 *
 * @since 0.1.0
 * @category accessors
 */
export const listAll = (params: PageParams = {}) => paginate(list)(params)

/**
 * Creates an assistant. Not retried when the server may have acted (see `RetryPolicy`).
 *
 * @example
 * ```ts
 * import { Assistants } from "effect-assistants"
 * import * as Effect from "effect/Effect"
 *
 * // each accessor needs the `Assistants` service (`AssistantsLive.layer` provides it)
 * const program = Effect.gen(function*() {
 *   const assistant = yield* Assistants.create({ model: "gpt-4o", name: "Math Tutor", tools: [] })
 *   const same = yield* Assistants.get({ assistantId: assistant.id })
 *   return same.name
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const create = (params: CreateAssistantParams) => Effect.flatMap(Assistants, (s) => s.create(params))

/**
 * @since 0.1.0
 * @category accessors
 */
export const get = (params: AssistantIdParams) => Effect.flatMap(Assistants, (s) => s.get(params))

/**
 * @since 0.1.0
 * @category accessors
 */
export const modify = (params: ModifyParams) => Effect.flatMap(Assistants, (s) => s.modify(params))

const del = (params: AssistantIdParams) => Effect.flatMap(Assistants, (s) => s.delete(params))

export {
  /**
   * Deletes an assistant.
   *
   * @since 0.1.0
   * @category accessors
   */
  del as delete
}
