/**
 * `/v1/threads/:thread_id/runs` and `/v1/threads/runs`: create (with `additional_messages`),
 * create with a new thread, list, retrieve, modify, cancel, submit tool outputs.
 *
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import { ListPage } from "effect-assistants/Common"
import { CreateRunParams, ModifyRunParams, Run, SubmitToolOutputsParams } from "effect-assistants/Run"
import { CreateThreadAndRunParams } from "effect-assistants/Thread"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Ids from "../Ids.js"
import { RunEngine, toSeconds } from "../RunEngine.js"
import * as Sse from "../Sse.js"
import { Store } from "../Store.js"
import * as Checks from "./Checks.js"
import { body, checkInclude, encoder, json, pageQuery, param, toolResources } from "./Http.js"
import { getOr404, getRun, getThread, refuseWhileActive } from "./Lookup.js"
import { newMessage } from "./Messages.js"
import { createThread } from "./Threads.js"

const encode = {
  run: encoder(Run),
  runs: encoder(ListPage(Run))
}

const decode = {
  createRun: body(Sse.withStream(CreateRunParams)),
  createThreadAndRun: body(Sse.withStream(CreateThreadAndRunParams)),
  modifyRun: body(ModifyRunParams),
  submitToolOutputs: body(Sse.withStream(SubmitToolOutputsParams))
}

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
    const messages = "additionalMessages" in params
      ? yield* Effect.forEach(params.additionalMessages ?? [], (m) => newMessage(threadId, m))
      : []
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
    // one transaction: a crash between them must not leave a queued run with no workflow, nor
    // the run's extra messages without it (the workflow waits for the run to be committed)
    yield* store.transaction(Effect.gen(function*() {
      for (const m of messages) yield* store.messages.put(m)
      yield* store.runs.put(run)
      yield* engine.start(run)
    }))
    return run
  })

/**
 * The `openai-poll-after-ms` header of run reads.
 *
 * @since 0.1.0
 * @category headers
 */
export const pollAfter = Effect.map(RunEngine, (e) => ({ "openai-poll-after-ms": String(e.timings.pollAfterMillis) }))

/**
 * @since 0.1.0
 * @category routers
 */
export const routes = HttpRouter.empty.pipe(
  HttpRouter.post(
    "/v1/threads/runs",
    Effect.gen(function*() {
      const { stream, ...params } = yield* decode.createThreadAndRun()
      yield* Checks.instructions(params.instructions, "instructions")
      yield* Checks.messages(params.thread?.messages, "thread.messages")
      const store = yield* Store
      yield* getOr404(store.assistants, "assistant", params.assistantId)
      // the thread, its messages and the run are one write: a failure leaves none of them
      const start = store.transaction(Effect.gen(function*() {
        const thread = yield* createThread(params.thread ?? {})
        if (params.toolResources !== undefined) {
          yield* store.threads.put({ ...thread, toolResources: toolResources(params.toolResources) })
        }
        return { run: yield* startRun(thread.id, params), prefix: [Sse.threadCreated(thread)] }
      }))
      if (stream === true) return yield* Sse.respond(start)
      return json(encode.run((yield* start).run), yield* pollAfter)
    })
  ),
  HttpRouter.get(
    "/v1/threads/:thread_id/runs",
    Effect.gen(function*() {
      const thread = yield* getThread(yield* param("thread_id"))
      const store = yield* Store
      const page = yield* store.runs.list(yield* pageQuery, { index: "thread", key: thread.id })
      return json(encode.runs(page))
    })
  ),
  HttpRouter.post(
    "/v1/threads/:thread_id/runs",
    Effect.gen(function*() {
      const thread = yield* getThread(yield* param("thread_id"))
      yield* checkInclude
      const { stream, ...params } = yield* decode.createRun()
      yield* Checks.instructions(params.instructions, "instructions")
      yield* Checks.instructions(params.additionalInstructions, "additional_instructions")
      yield* Checks.messages(params.additionalMessages, "additional_messages")
      yield* refuseWhileActive(thread.id, (run) => `Thread ${thread.id} already has an active run ${run}.`)
      if (stream === true) return yield* Sse.respond(Effect.map(startRun(thread.id, params), (run) => ({ run })))
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
      const metadata = params.metadata
      if (metadata === undefined) return json(encode.run(run), yield* pollAfter)
      // only the metadata is the caller's: the rest is read again in the write's transaction, so
      // that a status the run's workflow wrote meanwhile is kept
      const store = yield* Store
      const next = yield* store.transaction(Effect.gen(function*() {
        const next: Run = { ...((yield* store.runs.get(run.id)) ?? run), metadata }
        yield* store.runs.put(next)
        return next
      }))
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
      if (params.stream === true) {
        return yield* Sse.respond(Effect.map(engine.submitToolOutputs(run, params.toolOutputs), (run) => ({ run })))
      }
      return json(encode.run(yield* engine.submitToolOutputs(run, params.toolOutputs)), yield* pollAfter)
    })
  )
)
