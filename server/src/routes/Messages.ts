/**
 * `/v1/threads/:thread_id/messages`: create, list (with `run_id`), retrieve, modify, delete.
 *
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { ListPage } from "effect-assistants/Common"
import {
  type ContentPart,
  CreateMessageParams,
  Message,
  MessageDeleted,
  ModifyMessageParams
} from "effect-assistants/Message"
import * as Effect from "effect/Effect"
import { invalid, notFound } from "../ApiError.js"
import * as Ids from "../Ids.js"
import { seconds } from "../RunEngine.js"
import { Store } from "../Store.js"
import * as Checks from "./Checks.js"
import { body, encoder, json, pageQuery, param, searchParam } from "./Http.js"
import { getMessage, getThread } from "./Lookup.js"

const encode = {
  message: encoder(Message),
  messages: encoder(ListPage(Message)),
  messageDeleted: encoder(MessageDeleted)
}

const decode = {
  createMessage: body(CreateMessageParams),
  modifyMessage: body(ModifyMessageParams)
}

/**
 * A user's (or assistant's) message as created by a request: thread creation,
 * `additional_messages` and the message create all build it here.
 *
 * @since 0.1.0
 * @category constructors
 */
export const newMessage = (threadId: string, params: CreateMessageParams) =>
  Effect.map(seconds, (now): Message => ({
    id: Ids.make("msg"),
    object: "thread.message",
    createdAt: now,
    threadId,
    status: "completed",
    incompleteDetails: null,
    completedAt: now,
    incompleteAt: null,
    role: params.role,
    content: typeof params.content === "string"
      ? [{ type: "text", text: { value: params.content, annotations: [] } }]
      : params.content.map((part): ContentPart =>
        part.type === "text" ? { type: "text", text: { value: part.text, annotations: [] } } : part
      ),
    assistantId: null,
    runId: null,
    attachments: params.attachments ?? [],
    metadata: params.metadata ?? {}
  }))

/**
 * @since 0.1.0
 * @category routers
 */
export const routes = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/v1/threads/:thread_id/messages",
    Effect.gen(function*() {
      const thread = yield* getThread(yield* param("thread_id"))
      const query = yield* pageQuery
      const runId = searchParam(yield* HttpServerRequest.ParsedSearchParams, "run_id")
      const store = yield* Store
      const page = runId === undefined
        ? yield* store.messages.list(query, { index: "thread", key: thread.id })
        : yield* store.messages.list(query, { index: "run", key: runId }, { also: { index: "thread", key: thread.id } })
      return json(encode.messages(page))
    })
  ),
  HttpRouter.post(
    "/v1/threads/:thread_id/messages",
    Effect.gen(function*() {
      const threadId = yield* param("thread_id")
      const params = yield* decode.createMessage()
      yield* Checks.message(params)
      const message = yield* newMessage(threadId, params)
      // the thread's existence, its active run and the write are one step of the store
      const outcome = yield* Effect.flatMap(Store, (s) => s.addMessage(message))
      switch (outcome._tag) {
        case "NoThread":
          return yield* notFound("thread", threadId)
        case "ActiveRun":
          return yield* invalid(`Can't add messages to ${threadId} while a run ${outcome.runId} is active.`)
        case "Added":
          return json(encode.message(message))
      }
    })
  ),
  HttpRouter.get(
    "/v1/threads/:thread_id/messages/:message_id",
    Effect.gen(function*() {
      const message = yield* getMessage
      return json(encode.message(message))
    })
  ),
  HttpRouter.post(
    "/v1/threads/:thread_id/messages/:message_id",
    Effect.gen(function*() {
      const message = yield* getMessage
      const params = yield* decode.modifyMessage()
      const next: Message = params.metadata !== undefined ? { ...message, metadata: params.metadata } : message
      yield* Effect.flatMap(Store, (store) => store.messages.put(next))
      return json(encode.message(next))
    })
  ),
  HttpRouter.del(
    "/v1/threads/:thread_id/messages/:message_id",
    Effect.gen(function*() {
      const message = yield* getMessage
      yield* Effect.flatMap(Store, (store) => store.messages.delete(message.id))
      return json(encode.messageDeleted({ id: message.id, object: "thread.message.deleted", deleted: true }))
    })
  )
)
