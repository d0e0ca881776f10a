/**
 * The 23 Assistants v2 endpoints under `/v1`. Bodies are decoded with the same schemas the client
 * encodes with (unknown parameters refused), responses encoded with the same schemas the client
 * decodes with, so the two cannot drift.
 *
 * Every response carries `x-request-id`; run reads carry `openai-poll-after-ms`. Errors use the
 * API's envelope: 400 `invalid_request_error` naming the bad `param`, 404 "No run found with id
 * '...'.", 401 when keys are configured and the bearer token is missing or wrong, 400 without
 * `OpenAI-Beta: assistants=v2`.
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Assistant, AssistantDeleted, CreateAssistantParams, ModifyAssistantParams } from "effect-assistants/Assistant"
import { firstIssue } from "effect-assistants/AssistantsError"
import { includeValue, ListPage } from "effect-assistants/Common"
import {
  type ContentPart,
  CreateMessageParams,
  Message,
  MessageDeleted,
  ModifyMessageParams
} from "effect-assistants/Message"
import { CreateRunParams, ModifyRunParams, Run, SubmitToolOutputsParams, terminalStatuses } from "effect-assistants/Run"
import { RunStep } from "effect-assistants/RunStep"
import {
  CreateThreadAndRunParams,
  CreateThreadParams,
  ModifyThreadParams,
  Thread,
  ThreadDeleted
} from "effect-assistants/Thread"
import type { ToolResources, ToolResourcesParam } from "effect-assistants/Tool"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { ApiError, invalid, notFound } from "./ApiError.js"
import * as Ids from "./Ids.js"
import { RunEngine, seconds, toSeconds } from "./RunEngine.js"
import { type PageQuery, Store } from "./Store.js"

/**
 * What every request is checked against.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Accepted bearer tokens (or `api-key` header values). Empty: any token, or none, is accepted. */
  readonly apiKeys?: ReadonlyArray<string> | undefined
  /** Injected faults (see `Faults`); off when absent. */
  readonly faults?: { readonly middleware: <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<E, R> } | undefined
}

// ---------------------------------------------------------------------------------------------
// decoding requests

const decodeOptions = { onExcessProperty: "error", errors: "first" } as const

/** A body decoder whose failures name the wire parameter. */
const body = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknown(schema, decodeOptions)
  return (optional = false) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const text = yield* Effect.orElseSucceed(request.text, () => "")
      let json: unknown = {}
      if (text.trim() !== "") {
        try {
          json = JSON.parse(text)
        } catch {
          return yield* Effect.fail(invalid(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
          ))
        }
      } else if (!optional) {
        return yield* Effect.fail(invalid("The request body is required.", null))
      }
      if (json === null || typeof json !== "object" || Array.isArray(json)) {
        return yield* Effect.fail(invalid("The request body must be a JSON object.", null))
      }
      return yield* Effect.mapError(decode(json), parseError)
    })
}

const parseError = (error: ParseResult.ParseError): ApiError => {
  const issue = firstIssue(error)
  if (issue._tag === "Unexpected" && issue.path !== undefined) {
    return invalid(`Unknown parameter: '${issue.path}'.`, issue.path, "unknown_parameter")
  }
  return invalid(`Invalid '${issue.path ?? "body"}': ${issue.message}`, issue.path ?? null, "invalid_value")
}

const searchParam = (params: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>, name: string) => {
  const value = params[name]
  return Array.isArray(value) ? value[value.length - 1] : (value as string | undefined)
}

const pageQuery = Effect.gen(function*() {
  const params = yield* HttpServerRequest.ParsedSearchParams
  const limitText = searchParam(params, "limit")
  let limit = 20
  if (limitText !== undefined) {
    limit = Number(limitText)
    if (!/^-?\d+$/.test(limitText) || limit < 1 || limit > 100) {
      return yield* Effect.fail(
        invalid(`Invalid 'limit': integer between 1 and 100 expected, got '${limitText}'.`, "limit", "invalid_value")
      )
    }
  }
  const order = searchParam(params, "order") ?? "desc"
  if (order !== "asc" && order !== "desc") {
    return yield* Effect.fail(
      invalid(`Invalid 'order': expected 'asc' or 'desc', got '${order}'.`, "order", "invalid_value")
    )
  }
  const query: { -readonly [K in keyof PageQuery]: PageQuery[K] } = { limit, order }
  for (const key of ["after", "before"] as const) {
    const cursor = searchParam(params, key)
    if (cursor === undefined) continue
    if (Ids.sequenceOf(cursor) === undefined) {
      return yield* Effect.fail(invalid(`Invalid '${key}': '${cursor}' is not an object id.`, key, "invalid_value"))
    }
    query[key] = cursor
  }
  return query as PageQuery
})

const checkInclude = Effect.gen(function*() {
  const params = yield* HttpServerRequest.ParsedSearchParams
  for (const key of ["include[]", "include"]) {
    const value = params[key]
    const values = value === undefined ? [] : Array.isArray(value) ? value : [value as string]
    for (const v of values) {
      if (v !== includeValue) {
        return yield* Effect.fail(
          invalid(`Invalid 'include[]': expected '${includeValue}', got '${v}'.`, "include[]", "invalid_value")
        )
      }
    }
  }
})

const param = (name: string) => Effect.map(HttpRouter.params, (p) => p[name] ?? "")

// ---------------------------------------------------------------------------------------------
// encoding responses

const encoder = <A, I>(schema: Schema.Schema<A, I>) => Schema.encodeSync(schema)
const encode = {
  assistant: encoder(Assistant),
  assistants: encoder(ListPage(Assistant)),
  assistantDeleted: encoder(AssistantDeleted),
  thread: encoder(Thread),
  threadDeleted: encoder(ThreadDeleted),
  message: encoder(Message),
  messages: encoder(ListPage(Message)),
  messageDeleted: encoder(MessageDeleted),
  run: encoder(Run),
  runs: encoder(ListPage(Run)),
  step: encoder(RunStep),
  steps: encoder(ListPage(RunStep))
}

const json = (value: unknown, headers?: Record<string, string>) =>
  HttpServerResponse.unsafeJson(value, headers ? { headers } : undefined)

// ---------------------------------------------------------------------------------------------
// lookups

const getOr404 = <A extends { readonly id: string }>(
  table: { readonly get: (id: string) => Effect.Effect<A | undefined> },
  kind: string,
  id: string,
  belongs: (a: A) => boolean = () => true
) =>
  Effect.flatMap(
    table.get(id),
    (a) => (a !== undefined && belongs(a) ? Effect.succeed(a) : Effect.fail(notFound(kind, id)))
  )

const getThread = (id: string) => Effect.flatMap(Store, (s) => getOr404(s.threads, "thread", id))
/** The message the path names, in the thread the path names. */
const getMessage = Effect.gen(function*() {
  const threadId = yield* param("thread_id")
  yield* getThread(threadId)
  const store = yield* Store
  return yield* getOr404(store.messages, "message", yield* param("message_id"), (m) => m.threadId === threadId)
})

const getRun = (threadId: string, runId: string) =>
  Effect.flatMap(Store, (s) => getOr404(s.runs, "run", runId, (r) => r.threadId === threadId))

const activeRun = (threadId: string) =>
  Effect.flatMap(
    Store,
    (s) => Effect.map(s.runs.all((r) => r.threadId === threadId && !terminalStatuses.has(r.status)), (runs) => runs[0])
  )

const toolResources = (param: ToolResourcesParam | null | undefined): ToolResources | null => {
  if (param === undefined || param === null) return null
  return {
    ...(param.codeInterpreter ? { codeInterpreter: { fileIds: param.codeInterpreter.fileIds ?? [] } } : {}),
    ...(param.fileSearch ? { fileSearch: { vectorStoreIds: param.fileSearch.vectorStoreIds ?? [] } } : {})
  }
}

const newMessage = (threadId: string, params: CreateMessageParams) =>
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

const createThread = (params: CreateThreadParams) =>
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

type RunFields = CreateRunParams | CreateThreadAndRunParams

const startRun = (threadId: string, params: RunFields) =>
  Effect.gen(function*() {
    const store = yield* Store
    const engine = yield* RunEngine
    const assistant = yield* getOr404(store.assistants, "assistant", params.assistantId)
    const nowMillis = yield* Clock.currentTimeMillis
    const now = toSeconds(nowMillis)
    const additional = "additionalInstructions" in params ? params.additionalInstructions : undefined
    const instructions = (params.instructions ?? assistant.instructions ?? "") + (additional ? `\n${additional}` : "")
    if ("additionalMessages" in params) {
      for (const m of params.additionalMessages ?? []) yield* store.messages.put(yield* newMessage(threadId, m))
    }
    const run: Run = {
      id: Ids.make("run"),
      object: "thread.run",
      createdAt: now,
      threadId,
      assistantId: assistant.id,
      status: "queued",
      requiredAction: null,
      lastError: null,
      // rounded up: created at 12.95 s, a one-second lifetime must not end at 13 s
      expiresAt: Math.ceil((nowMillis + Duration.toMillis(engine.timings.expiresAfter)) / 1000),
      startedAt: null,
      cancelledAt: null,
      failedAt: null,
      completedAt: null,
      incompleteDetails: null,
      model: params.model ?? assistant.model,
      instructions,
      tools: params.tools ?? assistant.tools,
      metadata: params.metadata ?? {},
      usage: null,
      temperature: params.temperature ?? assistant.temperature ?? 1,
      topP: params.topP ?? assistant.topP ?? 1,
      maxPromptTokens: params.maxPromptTokens ?? null,
      maxCompletionTokens: params.maxCompletionTokens ?? null,
      truncationStrategy: params.truncationStrategy ?? { type: "auto", lastMessages: null },
      toolChoice: params.toolChoice ?? "auto",
      parallelToolCalls: params.parallelToolCalls ?? true,
      responseFormat: params.responseFormat ?? assistant.responseFormat ?? "auto"
    }
    yield* store.runs.put(run)
    yield* engine.start(run)
    return run
  })

/** The fields a modify request carried: absent keys leave the object as it was. */
const definedOnly = <A extends object>(fields: A): { [K in keyof A]: Exclude<A[K], undefined> } =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as any

const refuseWhileActive = (threadId: string, what: (runId: string) => string) =>
  Effect.flatMap(activeRun(threadId), (run) => (run ? Effect.fail(invalid(what(run.id))) : Effect.void))

const pollAfter = Effect.map(RunEngine, (e) => ({ "openai-poll-after-ms": String(e.timings.pollAfterMillis) }))

// ---------------------------------------------------------------------------------------------
// the routes

const decode = {
  createAssistant: body(CreateAssistantParams),
  modifyAssistant: body(ModifyAssistantParams),
  createThread: body(CreateThreadParams),
  modifyThread: body(ModifyThreadParams),
  createMessage: body(CreateMessageParams),
  modifyMessage: body(ModifyMessageParams),
  createRun: body(CreateRunParams),
  createThreadAndRun: body(CreateThreadAndRunParams),
  modifyRun: body(ModifyRunParams),
  submitToolOutputs: body(SubmitToolOutputsParams)
}

const assistantRoutes = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/v1/assistants",
    Effect.gen(function*() {
      const store = yield* Store
      const page = yield* store.assistants.list(yield* pageQuery, () => true)
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

const threadRoutes = HttpRouter.empty.pipe(
  HttpRouter.post(
    "/v1/threads",
    Effect.gen(function*() {
      const params = yield* decode.createThread(true)
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
      for (const run of yield* store.runs.all((r) => r.threadId === thread.id)) {
        yield* engine.forget(run.id)
        yield* store.runs.delete(run.id)
      }
      for (const s of yield* store.steps.all((s) => s.threadId === thread.id)) yield* store.steps.delete(s.id)
      for (const m of yield* store.messages.all((m) => m.threadId === thread.id)) yield* store.messages.delete(m.id)
      yield* store.threads.delete(thread.id)
      return json(encode.threadDeleted({ id: thread.id, object: "thread.deleted", deleted: true }))
    })
  ),
  HttpRouter.post(
    "/v1/threads/runs",
    Effect.gen(function*() {
      const params = yield* decode.createThreadAndRun()
      const store = yield* Store
      yield* getOr404(store.assistants, "assistant", params.assistantId)
      const thread = yield* createThread(params.thread ?? {})
      if (params.toolResources !== undefined) {
        yield* store.threads.put({ ...thread, toolResources: toolResources(params.toolResources) })
      }
      const run = yield* startRun(thread.id, params)
      return json(encode.run(run), yield* pollAfter)
    })
  ),
  // messages
  HttpRouter.get(
    "/v1/threads/:thread_id/messages",
    Effect.gen(function*() {
      const thread = yield* getThread(yield* param("thread_id"))
      const query = yield* pageQuery
      const runId = searchParam(yield* HttpServerRequest.ParsedSearchParams, "run_id")
      const store = yield* Store
      const page = yield* store.messages.list(
        query,
        (m) => m.threadId === thread.id && (runId === undefined || m.runId === runId)
      )
      return json(encode.messages(page))
    })
  ),
  HttpRouter.post(
    "/v1/threads/:thread_id/messages",
    Effect.gen(function*() {
      const thread = yield* getThread(yield* param("thread_id"))
      const params = yield* decode.createMessage()
      yield* refuseWhileActive(thread.id, (run) => `Can't add messages to ${thread.id} while a run ${run} is active.`)
      const message = yield* newMessage(thread.id, params)
      yield* Effect.flatMap(Store, (s) => s.messages.put(message))
      return json(encode.message(message))
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

const runRoutes = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/v1/threads/:thread_id/runs",
    Effect.gen(function*() {
      const thread = yield* getThread(yield* param("thread_id"))
      const store = yield* Store
      const page = yield* store.runs.list(yield* pageQuery, (r) => r.threadId === thread.id)
      return json(encode.runs(page))
    })
  ),
  HttpRouter.post(
    "/v1/threads/:thread_id/runs",
    Effect.gen(function*() {
      const thread = yield* getThread(yield* param("thread_id"))
      yield* checkInclude
      const params = yield* decode.createRun()
      yield* refuseWhileActive(thread.id, (run) => `Thread ${thread.id} already has an active run ${run}.`)
      const run = yield* startRun(thread.id, params)
      return json(encode.run(run), yield* pollAfter)
    })
  ),
  HttpRouter.get(
    "/v1/threads/:thread_id/runs/:run_id",
    Effect.gen(function*() {
      const run = yield* getRun(yield* param("thread_id"), yield* param("run_id"))
      return json(encode.run(run), yield* pollAfter)
    })
  ),
  HttpRouter.post(
    "/v1/threads/:thread_id/runs/:run_id",
    Effect.gen(function*() {
      const run = yield* getRun(yield* param("thread_id"), yield* param("run_id"))
      const params = yield* decode.modifyRun()
      const next: Run = params.metadata !== undefined ? { ...run, metadata: params.metadata } : run
      yield* Effect.flatMap(Store, (s) => s.runs.put(next))
      return json(encode.run(next), yield* pollAfter)
    })
  ),
  HttpRouter.post(
    "/v1/threads/:thread_id/runs/:run_id/cancel",
    Effect.gen(function*() {
      const run = yield* getRun(yield* param("thread_id"), yield* param("run_id"))
      const engine = yield* RunEngine
      return json(encode.run(yield* engine.cancel(run)), yield* pollAfter)
    })
  ),
  HttpRouter.post(
    "/v1/threads/:thread_id/runs/:run_id/submit_tool_outputs",
    Effect.gen(function*() {
      const run = yield* getRun(yield* param("thread_id"), yield* param("run_id"))
      const params = yield* decode.submitToolOutputs()
      const engine = yield* RunEngine
      return json(encode.run(yield* engine.submitToolOutputs(run, params.toolOutputs)), yield* pollAfter)
    })
  ),
  // run steps
  HttpRouter.get(
    "/v1/threads/:thread_id/runs/:run_id/steps",
    Effect.gen(function*() {
      const run = yield* getRun(yield* param("thread_id"), yield* param("run_id"))
      yield* checkInclude
      const store = yield* Store
      const page = yield* store.steps.list(yield* pageQuery, (s) => s.runId === run.id)
      return json(encode.steps(page))
    })
  ),
  HttpRouter.get(
    "/v1/threads/:thread_id/runs/:run_id/steps/:step_id",
    Effect.gen(function*() {
      const run = yield* getRun(yield* param("thread_id"), yield* param("run_id"))
      yield* checkInclude
      const store = yield* Store
      const step = yield* getOr404(store.steps, "run step", yield* param("step_id"), (s) => s.runId === run.id)
      return json(encode.step(step))
    })
  )
)

/**
 * The router of the 23 endpoints, without the checks of {@link app}.
 *
 * @since 0.1.0
 * @category routers
 */
export const router = HttpRouter.concatAll(assistantRoutes, threadRoutes, runRoutes)

const errorResponse = (error: ApiError) => HttpServerResponse.unsafeJson(error.body, { status: error.status })

const bearer = (header: string | undefined) => {
  if (header === undefined) return undefined
  const match = /^bearer\s+(.+)$/i.exec(header.trim())
  return match ? match[1].trim() : undefined
}

/**
 * The router with the API's checks around it: credentials, the `OpenAI-Beta` header, the error
 * envelope for every failure (unknown routes, defects included), and `x-request-id` on every
 * response.
 *
 * @since 0.1.0
 * @category constructors
 */
export const app = (options: Options = {}) => {
  const keys = new Set(options.apiKeys ?? [])
  return Effect.map(HttpRouter.toHttpApp(router), (routes) => {
    // faults act where the API would: after the credentials and the beta header were accepted
    const handler = options.faults ? options.faults.middleware(routes) : routes
    return Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const requestId = Ids.make("req")
      const response = yield* Effect.gen(function*() {
        if (keys.size > 0) {
          const token = bearer(request.headers["authorization"]) ?? request.headers["api-key"]
          if (token === undefined) {
            return yield* Effect.fail(
              new ApiError({
                status: 401,
                message:
                  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                type: "invalid_request_error",
                param: null,
                code: null
              })
            )
          }
          if (!keys.has(token)) {
            return yield* Effect.fail(
              new ApiError({
                status: 401,
                message: "Incorrect API key provided.",
                type: "invalid_request_error",
                param: null,
                code: "invalid_api_key"
              })
            )
          }
        }
        const beta = (request.headers["openai-beta"] ?? "").split(",").map((s) => s.trim())
        if (!beta.includes("assistants=v2")) {
          return yield* Effect.fail(invalid(
            beta.includes("assistants=v1")
              ? "The v1 Assistants API has been deprecated. Please try again by setting the header 'OpenAI-Beta: assistants=v2'."
              : "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by setting the header 'OpenAI-Beta: assistants=v2'.",
            null,
            "invalid_beta"
          ))
        }
        return yield* handler
      }).pipe(
        Effect.catchTags({
          ApiError: (e: ApiError) => Effect.succeed(errorResponse(e)),
          RouteNotFound: () =>
            Effect.succeed(errorResponse(
              new ApiError({
                status: 404,
                message: `Invalid URL (${request.method} ${request.url.split("?")[0]})`,
                type: "invalid_request_error",
                param: null,
                code: null
              })
            ))
        }),
        Effect.catchAllCause((cause) =>
          // a client that went away (or a fault that closed the connection) is not a server error
          Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.as(
            Effect.logError("request failed", cause),
            errorResponse(
              new ApiError({
                status: 500,
                message: "The server had an error while processing your request.",
                type: "server_error",
                param: null,
                code: null
              })
            )
          )
        )
      )
      return HttpServerResponse.setHeader(response, "x-request-id", requestId)
    })
  })
}
