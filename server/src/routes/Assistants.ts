/**
 * `/v1/assistants`: create, list, retrieve, modify, delete.
 *
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import { Assistant, AssistantDeleted, CreateAssistantParams, ModifyAssistantParams } from "effect-assistants/Assistant"
import { ListPage } from "effect-assistants/Common"
import * as Effect from "effect/Effect"
import * as Ids from "../Ids.js"
import { seconds } from "../RunEngine.js"
import { Store } from "../Store.js"
import { body, encoder, json, pageQuery, param, toolResources } from "./Http.js"
import { getOr404 } from "./Lookup.js"

const encode = {
  assistant: encoder(Assistant),
  assistants: encoder(ListPage(Assistant)),
  assistantDeleted: encoder(AssistantDeleted)
}

const decode = {
  createAssistant: body(CreateAssistantParams),
  modifyAssistant: body(ModifyAssistantParams)
}

/** The fields a modify request carried: absent keys leave the object as it was. */
const definedOnly = <A extends object>(fields: A): { [K in keyof A]: Exclude<A[K], undefined> } =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as any

/**
 * @since 0.1.0
 * @category routers
 */
export const routes = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/v1/assistants",
    Effect.gen(function*() {
      const store = yield* Store
      const page = yield* store.assistants.list(yield* pageQuery)
      return json(encode.assistants(page))
    })
  ),
  HttpRouter.post(
    "/v1/assistants",
    Effect.gen(function*() {
      const params = yield* decode.createAssistant()
      const store = yield* Store
      const assistant: Assistant = {
        id: Ids.make("asst"),
        object: "assistant",
        createdAt: yield* seconds,
        name: params.name ?? null,
        description: params.description ?? null,
        model: params.model,
        instructions: params.instructions ?? null,
        tools: params.tools ?? [],
        toolResources: toolResources(params.toolResources) ?? {},
        metadata: params.metadata ?? {},
        temperature: params.temperature ?? 1,
        topP: params.topP ?? 1,
        responseFormat: params.responseFormat ?? "auto"
      }
      yield* store.assistants.put(assistant)
      return json(encode.assistant(assistant))
    })
  ),
  HttpRouter.get(
    "/v1/assistants/:assistant_id",
    Effect.gen(function*() {
      const store = yield* Store
      return json(encode.assistant(yield* getOr404(store.assistants, "assistant", yield* param("assistant_id"))))
    })
  ),
  HttpRouter.post(
    "/v1/assistants/:assistant_id",
    Effect.gen(function*() {
      const store = yield* Store
      const current = yield* getOr404(store.assistants, "assistant", yield* param("assistant_id"))
      const params = yield* decode.modifyAssistant()
      const next: Assistant = {
        ...current,
        ...definedOnly({
          model: params.model,
          name: params.name,
          description: params.description,
          instructions: params.instructions,
          tools: params.tools,
          metadata: params.metadata,
          temperature: params.temperature,
          topP: params.topP,
          responseFormat: params.responseFormat
        }),
        ...(params.toolResources !== undefined ? { toolResources: toolResources(params.toolResources) } : {})
      }
      yield* store.assistants.put(next)
      return json(encode.assistant(next))
    })
  ),
  HttpRouter.del(
    "/v1/assistants/:assistant_id",
    Effect.gen(function*() {
      const store = yield* Store
      const assistant = yield* getOr404(store.assistants, "assistant", yield* param("assistant_id"))
      yield* store.assistants.delete(assistant.id)
      return json(encode.assistantDeleted({ id: assistant.id, object: "assistant.deleted", deleted: true }))
    })
  )
)
