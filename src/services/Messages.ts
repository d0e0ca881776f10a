/**
 * Messages of a thread: `list`, `create`, `get`, `modify`, `delete`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AssistantsError } from "../errors/AssistantsError.js"
import { AssistantsClient } from "../layers/AssistantsClient.js"
import { ListPage, type PageParams } from "../schema/Common.js"
import { CreateMessageParams, Message, MessageDeleted, ModifyMessageParams } from "../schema/Message.js"
import { bodyEncoder, decoder, listAll as paginate, method } from "./internal/operation.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ListParams extends PageParams {
  readonly threadId: string
  /** Only the messages this run created. */
  readonly runId?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateParams extends CreateMessageParams {
  readonly threadId: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface MessageIdParams {
  readonly threadId: string
  readonly messageId: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ModifyParams extends ModifyMessageParams, MessageIdParams {}

const decodeMessage = decoder(Message, "Message")
const decodePage = decoder(ListPage(Message), "ListPage<Message>")
const decodeDeleted = decoder(MessageDeleted, "MessageDeleted")
const encodeCreate = bodyEncoder(CreateMessageParams)
const encodeModify = bodyEncoder(ModifyMessageParams)

/**
 * @since 0.1.0
 * @category tags
 */
export class Messages extends Context.Tag("effect-assistants/Messages")<Messages, {
  readonly list: (params: ListParams) => Effect.Effect<ListPage<Message>, AssistantsError>
  readonly create: (params: CreateParams) => Effect.Effect<Message, AssistantsError>
  readonly get: (params: MessageIdParams) => Effect.Effect<Message, AssistantsError>
  readonly modify: (params: ModifyParams) => Effect.Effect<Message, AssistantsError>
  readonly delete: (params: MessageIdParams) => Effect.Effect<MessageDeleted, AssistantsError>
}>() {}

const messagePath = (p: MessageIdParams) => `/threads/${p.threadId}/messages/${p.messageId}`

/**
 * Builds the service over the prepared client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.map(AssistantsClient, (client) =>
  Messages.of({
    list: method(client, {
      name: "Messages.list",
      method: "GET",
      ids: ["threadId"],
      path: (p: ListParams) => `/threads/${p.threadId}/messages`,
      list: "page+run",
      response: decodePage
    }),
    create: method(client, {
      name: "Messages.create",
      method: "POST",
      ids: ["threadId"],
      path: (p: CreateParams) => `/threads/${p.threadId}/messages`,
      body: encodeCreate,
      create: true,
      response: decodeMessage
    }),
    get: method(client, {
      name: "Messages.get",
      method: "GET",
      ids: ["threadId", "messageId"],
      path: messagePath,
      response: decodeMessage
    }),
    modify: method(client, {
      name: "Messages.modify",
      method: "POST",
      ids: ["threadId", "messageId"],
      path: (p: ModifyParams) => messagePath(p),
      body: encodeModify,
      response: decodeMessage
    }),
    delete: method(client, {
      name: "Messages.delete",
      method: "DELETE",
      ids: ["threadId", "messageId"],
      path: messagePath,
      response: decodeDeleted
    })
  }))

/**
 * The service over `AssistantsClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Messages, never, AssistantsClient> = Layer.effect(Messages, make)

/**
 * Lists one page of a thread's messages (newest first unless `order: "asc"`).
 *
 * @since 0.1.0
 * @category accessors
 */
export const list = (params: ListParams) => Effect.flatMap(Messages, (s) => s.list(params))

/**
 * Every item, as a stream that pages with `after` until `has_more` is false (one page in memory
 * at a time). `order` and `limit` (the page size) are honoured.
 *
 * @since 0.1.0
 * @category accessors
 */
export const listAll = (params: ListParams) => paginate(list)(params)

/**
 * Adds a message to a thread.
 *
 * @example
 * ```ts
 * import { Messages } from "effect-assistants"
 * import * as Effect from "effect/Effect"
 *
 * // each accessor needs the `Messages` service (`AssistantsLive.layer` provides it)
 * const program = Effect.gen(function*() {
 *   yield* Messages.create({ threadId: "thread_abc", role: "user", content: "What is 2 + 2?" })
 *   const page = yield* Messages.list({ threadId: "thread_abc", order: "asc", limit: 20 })
 *   return page.data.map((message) => message.role)
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const create = (params: CreateParams) => Effect.flatMap(Messages, (s) => s.create(params))

/**
 * @since 0.1.0
 * @category accessors
 */
export const get = (params: MessageIdParams) => Effect.flatMap(Messages, (s) => s.get(params))

/**
 * @since 0.1.0
 * @category accessors
 */
export const modify = (params: ModifyParams) => Effect.flatMap(Messages, (s) => s.modify(params))

const del = (params: MessageIdParams) => Effect.flatMap(Messages, (s) => s.delete(params))

export {
  /**
   * Deletes a message.
   *
   * @since 0.1.0
   * @category accessors
   */
  del as delete
}
