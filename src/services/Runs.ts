/**
 * Runs of a thread: `list`, `create`, `get`, `modify`, `cancel`, `submitToolOutputs`; and over
 * them, the run-watching stream, the poll helpers and the tool loop.
 *
 * The service holds the API operations only (plus `*WithHeaders` variants that keep the response
 * headers, such as `openai-poll-after-ms`); the helpers are module functions over it, so a
 * program that never polls does not carry the polling code.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { AssistantsError, TimeoutError, ToolRoundsExceededError } from "../errors/AssistantsError.js"
import { AssistantsClient, type Response } from "../layers/AssistantsClient.js"
import { type Include, ListPage, type PageParams } from "../schema/Common.js"
import { CreateRunParams, ModifyRunParams, Run, type RunStatus, SubmitToolOutputsParams } from "../schema/Run.js"
import {
  bodyEncoder,
  decoder,
  listAll as paginate,
  method,
  methodWithHeaders,
  type Spec
} from "./internal/operation.js"
import { checkToolOutputs } from "./internal/toolOutput.js"
import * as RunPolling from "./RunPolling.js"
import type {
  PollOptions,
  RunTransition,
  ToolContext,
  ToolError,
  ToolLoopEvent,
  ToolLoopOptions
} from "./RunPolling.js"
import type * as Tool from "./Tool.js"

export type {
  /**
   * @since 0.1.0
   * @category models
   */
  PollOptions,
  /**
   * @since 0.1.0
   * @category models
   */
  RunStatus,
  /**
   * @since 0.1.0
   * @category models
   */
  RunTransition,
  /**
   * @since 0.1.0
   * @category models
   */
  ToolLoopEvent,
  /**
   * @since 0.1.0
   * @category models
   */
  ToolLoopOptions
}

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
  readonly include?: Include
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
export interface SubmitParams extends SubmitToolOutputsParams, RunIdParams {
  /**
   * The run as last read. When given, the outputs are checked against its `requires_action`
   * before sending: every call answered once, no call it did not ask for.
   */
  readonly run?: Run | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface WatchParams extends RunIdParams, PollOptions {}

/**
 * @since 0.1.0
 * @category models
 */
export interface RunToolsParams<T extends Tool.Any> extends RunIdParams, ToolLoopOptions<T> {}

/**
 * `Runs.create`'s parameters, with declared tools: their definitions are sent as the run's
 * `tools` unless `sendDefinitions` is false (the assistant already has them).
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateAndRunToolsParams<T extends Tool.Any> extends Omit<CreateParams, "tools">, ToolLoopOptions<T> {
  readonly sendDefinitions?: boolean | undefined
}

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
  /** `get`, keeping the response headers (`openai-poll-after-ms`, `x-request-id`). */
  readonly getWithHeaders: (params: RunIdParams) => Effect.Effect<Response<Run>, AssistantsError>
  /** `create`, keeping the response headers. */
  readonly createWithHeaders: (params: CreateParams) => Effect.Effect<Response<Run>, AssistantsError>
  /** `submitToolOutputs`, keeping the response headers. */
  readonly submitToolOutputsWithHeaders: (params: SubmitParams) => Effect.Effect<Response<Run>, AssistantsError>
}>() {}

const runPath = (p: RunIdParams) => `/threads/${p.threadId}/runs/${p.runId}`

const getSpec: Spec<RunIdParams, Run> = {
  name: "Runs.get",
  method: "GET",
  ids: ["threadId", "runId"],
  path: runPath,
  response: decodeRun
}

const createSpec: Spec<CreateParams, Run> = {
  name: "Runs.create",
  method: "POST",
  ids: ["threadId", "assistantId"],
  path: (p) => `/threads/${p.threadId}/runs`,
  include: true,
  body: encodeCreate,
  create: true,
  response: decodeRun
}

const submitSpec: Spec<SubmitParams, Run> = {
  name: "Runs.submitToolOutputs",
  method: "POST",
  ids: ["threadId", "runId"],
  path: (p) => `${runPath(p)}/submit_tool_outputs`,
  body: encodeSubmit,
  create: true,
  response: decodeRun
}

const checked = <A, R>(
  params: SubmitParams,
  send: Effect.Effect<A, AssistantsError, R>
): Effect.Effect<A, AssistantsError, R> => {
  const problem = params.run === undefined ? undefined : checkToolOutputs(params, params.run, params.toolOutputs)
  return problem === undefined ? send : Effect.fail(problem)
}

/**
 * Builds the service over the prepared client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.map(AssistantsClient, (client) => {
  const submit = method(client, submitSpec)
  const submitWithHeaders = methodWithHeaders(client, submitSpec)
  return Runs.of({
    list: method(client, {
      name: "Runs.list",
      method: "GET",
      ids: ["threadId"],
      path: (p: ListParams) => `/threads/${p.threadId}/runs`,
      list: "page",
      response: decodePage
    }),
    create: method(client, createSpec),
    get: method(client, getSpec),
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
    submitToolOutputs: (params) => checked(params, submit(params)),
    getWithHeaders: methodWithHeaders(client, getSpec),
    createWithHeaders: methodWithHeaders(client, createSpec),
    submitToolOutputsWithHeaders: (params) => checked(params, submitWithHeaders(params))
  })
})

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
 * Every item, as a stream that pages with `after` until `has_more` is false (one page in memory
 * at a time). `order` and `limit` (the page size) are honoured.
 *
 * @since 0.1.0
 * @category accessors
 */
export const listAll = (params: ListParams) => paginate(list)(params)

/**
 * Starts a run of an assistant on a thread. Not retried when the server may have acted.
 *
 * @since 0.1.0
 * @category accessors
 */
export const create = (params: CreateParams) => Effect.flatMap(Runs, (s) => s.create(params))

/**
 * Reads a run.
 *
 * @example
 * ```ts
 * import { Runs } from "effect-assistants"
 * import * as Effect from "effect/Effect"
 *
 * // each accessor needs the `Runs` service (`AssistantsLive.layer` provides it)
 * const program = Effect.gen(function*() {
 *   const run = yield* Runs.get({ threadId: "thread_abc", runId: "run_abc" })
 *   return run.status
 * })
 * ```
 *
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
export const submitToolOutputs = (params: SubmitParams) => Effect.flatMap(Runs, (s) => s.submitToolOutputs(params))

/**
 * A stream of the run's status transitions, one element per change (the first has no
 * `previous`), ending after a terminal status or `requires_action`. It polls every `interval`, or
 * as the server's `openai-poll-after-ms` says, else every second; `schedule` replaces the
 * interval. Past `deadline` it fails with `TimeoutError`. Interrupting it stops polling at once.
 *
 * @example
 * ```ts
 * import { Runs } from "effect-assistants"
 * import * as Console from "effect/Console"
 * import * as Option from "effect/Option"
 * import * as Stream from "effect/Stream"
 *
 * // one line per status change, until the run is terminal or waits for tool outputs
 * const program = Runs.watch({ threadId: "thread_abc", runId: "run_abc", interval: "500 millis", deadline: "2 minutes" })
 *   .pipe(
 *     Stream.runForEach(({ current, previous }) =>
 *       Console.log(`${Option.getOrElse(previous, () => "(start)")} -> ${current}`)
 *     )
 *   )
 * ```
 *
 * @since 0.1.0
 * @category polling
 */
export const watch = (params: WatchParams): Stream.Stream<RunTransition, AssistantsError, Runs> =>
  Stream.unwrap(Effect.map(Runs, (runs) => RunPolling.watch(runs, params)))

/**
 * Creates a run and waits until it is terminal or requires action.
 *
 * @since 0.1.0
 * @category polling
 */
export const createAndPoll = (params: CreateParams & PollOptions): Effect.Effect<Run, AssistantsError, Runs> =>
  Effect.flatMap(
    Runs,
    (runs) =>
      Effect.flatMap(
        runs.createWithHeaders(params),
        (response) =>
          RunPolling.poll(runs, { ...params, runId: response.value.id }, RunPolling.seedOf(response, Option.none()))
      )
  )

/**
 * Submits tool outputs and waits until the run is terminal or requires action again. A stale
 * read that still lists the answered calls is not taken for a new `requires_action`.
 *
 * @since 0.1.0
 * @category polling
 */
export const submitToolOutputsAndPoll = (
  params: SubmitParams & PollOptions
): Effect.Effect<Run, AssistantsError, Runs> =>
  Effect.flatMap(
    Runs,
    (runs) =>
      Effect.flatMap(runs.submitToolOutputsWithHeaders(params), (response) =>
        RunPolling.poll(
          runs,
          params,
          RunPolling.seedOf(response, Option.some("requires_action")),
          new Set(params.toolOutputs.map((o) => o.toolCallId))
        ))
  )

/**
 * The tool loop as a stream of what happens: every status transition and every tool call with
 * its output, ending when the run is terminal.
 *
 * @since 0.1.0
 * @category tools
 */
export const runToolsEvents = <T extends Tool.Any>(
  params: RunToolsParams<T>
): Stream.Stream<ToolLoopEvent, AssistantsError | ToolRoundsExceededError | ToolError<T>, Runs | ToolContext<T>> =>
  Stream.unwrap(Effect.map(Runs, (runs) => RunPolling.toolLoop(runs, params, params)))

/**
 * Watches a run and answers its tool calls with the declared tools until it is terminal: on
 * each `requires_action` the calls' arguments are decoded with each tool's schema, the handlers
 * run concurrently (`concurrency`, default 8), and all outputs are submitted in one request.
 * Arguments that do not decode and unknown function names become error outputs for those calls.
 * More than `maxRounds` rounds (default 10) cancel the run and fail with
 * `ToolRoundsExceededError`. Returns the terminal run; see {@link ensureCompleted}.
 *
 * @example
 * ```ts
 * import { Runs, Tool } from "effect-assistants"
 * import * as Effect from "effect/Effect"
 * import * as Schema from "effect/Schema"
 *
 * const weather = Tool.make({
 *   name: "get_weather",
 *   description: "Current weather in a city",
 *   parameters: Schema.Struct({ city: Schema.String }),
 *   handler: ({ city }) => Effect.succeed({ city, celsius: 21 })
 * })
 *
 * // answers every round of tool calls, then fails unless the run completed
 * const program = Runs.runTools({ threadId: "thread_abc", runId: "run_abc", tools: [weather] }).pipe(
 *   Effect.flatMap(Runs.ensureCompleted)
 * )
 * ```
 *
 * @since 0.1.0
 * @category tools
 */
export const runTools = <T extends Tool.Any>(params: RunToolsParams<T>) => RunPolling.lastRun(runToolsEvents(params))

/**
 * The tool loop for a new run, as a stream (see {@link createAndRunTools}).
 *
 * @since 0.1.0
 * @category tools
 */
export const createAndRunToolsEvents = <T extends Tool.Any>(
  params: CreateAndRunToolsParams<T>
): Stream.Stream<ToolLoopEvent, AssistantsError | ToolRoundsExceededError | ToolError<T>, Runs | ToolContext<T>> =>
  Stream.unwrap(Effect.flatMap(Runs, (runs) =>
    Effect.map(
      runs.createWithHeaders({
        ...params,
        tools: params.sendDefinitions === false ? undefined : params.tools.map((t) => t.definition)
      } as CreateParams),
      (response) =>
        RunPolling.toolLoop(
          runs,
          { threadId: params.threadId, runId: response.value.id },
          params,
          RunPolling.seedOf(response, Option.none())
        )
    )))

/**
 * Creates a run with the declared tools, then runs the tool loop (see {@link runTools}).
 *
 * @since 0.1.0
 * @category tools
 */
export const createAndRunTools = <T extends Tool.Any>(params: CreateAndRunToolsParams<T>) =>
  RunPolling.lastRun(createAndRunToolsEvents(params))

export {
  /**
   * Succeeds with a completed run; any other status fails with the matching error:
   * `RunFailedError` (with `lastError`), `RunCancelledError`, `RunExpiredError`, and
   * `RunIncompleteError` for `incomplete` or a run that has not finished (its status as `reason`).
   *
   * @since 0.1.0
   * @category polling
   */
  ensureCompleted
} from "./RunPolling.js"

/**
 * The deadline error of a poll helper, for `catchTag`.
 *
 * @since 0.1.0
 * @category models
 */
export type DeadlineError = TimeoutError

export {
  /**
   * Starts a run with declared tools and streams it through every tool round, as one stream (see
   * `AssistantStream.createAndRunToolsStream`).
   *
   * @since 0.1.0
   * @category streaming
   */
  createAndRunToolsStream,
  /**
   * Starts a run and streams its events (see `AssistantStream.createStream`).
   *
   * @example
   * ```ts
   * import { AssistantStream, Runs } from "effect-assistants"
   * import * as Effect from "effect/Effect"
   * import * as Stream from "effect/Stream"
   *
   * // the assistant's answer printed as it is written
   * const program = Runs.createStream({ threadId: "thread_abc", assistantId: "asst_abc" }).pipe(
   *   AssistantStream.text,
   *   Stream.runForEach((text) => Effect.sync(() => process.stdout.write(text)))
   * )
   * ```
   *
   * @since 0.1.0
   * @category streaming
   */
  createStream,
  /**
   * The tool loop over one stream for a run already started (see `AssistantStream.runToolsStream`).
   *
   * @since 0.1.0
   * @category streaming
   */
  runToolsStream,
  /**
   * Submits tool outputs and streams the run's events from there (see
   * `AssistantStream.submitToolOutputsStream`).
   *
   * @since 0.1.0
   * @category streaming
   */
  submitToolOutputsStream
} from "./AssistantStream.js"
