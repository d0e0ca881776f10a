/**
 * The embedded Assistants-compatible server as one layer: it listens on a loopback port (random
 * unless given), serves the 23 endpoints, and provides its base URL. When the layer's scope closes
 * it stops gracefully (see `Graceful`).
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const { url } = yield* AssistantsServer
 *   // point any client at `url` (http://127.0.0.1:<port>/v1)
 * }).pipe(Effect.provide(AssistantsServer.layer()))
 * ```
 *
 * @since 0.1.0
 */
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createServer } from "node:http"
import * as Faults from "./Faults.js"
import * as Graceful from "./Graceful.js"
import { Model, scripted } from "./Model.js"
import * as Routes from "./Routes.js"
import type * as RunEngine from "./RunEngine.js"
import * as RunWorkflow from "./RunWorkflow.js"
import * as Store from "./Store.js"

/**
 * Where the server listens.
 *
 * @since 0.1.0
 * @category tags
 */
export class AssistantsServer extends Context.Tag("effect-assistants/server/AssistantsServer")<AssistantsServer, {
  /** The base URL clients use, version path included: `http://127.0.0.1:4010/v1`. */
  readonly url: string
  readonly host: string
  readonly port: number
  /** What the fault plan injected so far (`undefined` without a plan). */
  readonly faultStats: () => Faults.Stats | undefined
}>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<E = never> extends Routes.Options {
  /** 0 (the default) picks a free port. */
  readonly port?: number | undefined
  /** Default `127.0.0.1`. */
  readonly host?: string | undefined
  readonly timings?: Partial<RunEngine.Timings> | undefined
  /**
   * Where objects and runs are kept. Default: memory, for the objects and for each run's workflow
   * (the workflow engine's in-memory storage). A layer that provides a `SqlClient` beside the
   * `Store` (`Store.layerSqlite(...)`, `Store.layerPg(...)`) keeps both in that database: each run
   * is then a workflow of `ClusterWorkflowEngine` on a single runner, and the runs in flight resume
   * after a restart (see `RunWorkflow`).
   */
  readonly database?: Layer.Layer<Store.Store | SqlClient.SqlClient, E> | undefined
  /**
   * Serve as one runner of a cluster whose processes share this PostgreSQL database
   * (`Store.layerPg(...)`): objects and runs are in the database, each run's workflow executes on
   * the runner owning its shard, and a stream on any process follows a run wherever it executes
   * (see `RunWorkflow.layerCluster`). Takes the place of `database`.
   */
  readonly cluster?: {
    readonly database: Layer.Layer<Store.Store | SqlClient.SqlClient, E>
  } | undefined
  /**
   * The workflow runner's settings over a database: over `RunWorkflow.defaultShardingConfig` for
   * one process, over `ShardingConfig`'s environment variables and
   * `RunWorkflow.defaultClusterConfig` for a runner of a cluster.
   */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
  /**
   * Default: the scripted model (see `Model`). A layer brings a provider of its own, such as
   * `ChatCompletions.layer(...)` or `OpenAiResponses.layer(...)` with an `HttpClient` provided.
   */
  readonly model?: Model["Type"] | Layer.Layer<Model> | undefined
  /** A fault plan (see `Faults`). Off by default. */
  readonly faultPlan?: Faults.Plan | undefined
  /** Connections open at once; more are refused at accept. Default {@link defaultMaxConnections}. */
  readonly maxConnections?: number | undefined
  /** How long a stop waits for requests in flight before it closes their connections. Default 10 s. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /**
   * At a stop, how long a keep-alive connection that carried a request that recently is given for
   * its next one (see `Graceful`). Default none: idle connections close at once, which suits tests;
   * the bin gives a second, so that busy clients see no reset.
   */
  readonly keepAliveGrace?: Duration.DurationInput | undefined
  /** Called once the server stopped, with what it did (the bin prints it). */
  readonly onStopped?: ((stats: Graceful.Stats) => Effect.Effect<void>) | undefined
}

/**
 * Enough for a team's tests and a busy demo; each connection holds a file descriptor and a few
 * kilobytes of buffers.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxConnections = 1024

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultShutdownTimeout: Duration.DurationInput = "10 seconds"

/**
 * The server's state and run engine, without a socket: for serving `Routes.app` another way.
 *
 * @since 0.1.0
 * @category layers
 */
export function layerEngine<E = never>(
  options: Options<E> & { readonly cluster: NonNullable<Options<E>["cluster"]> }
): Layer.Layer<RunEngine.RunEngine | Store.Store | Model, E | ClusterError>
export function layerEngine<E = never>(
  options?: Options<E>
): Layer.Layer<RunEngine.RunEngine | Store.Store | Model, E | ConfigError.ConfigError>
export function layerEngine<E = never>(
  options: Options<E> = {}
): Layer.Layer<RunEngine.RunEngine | Store.Store | Model, E | ClusterError> {
  const model = Layer.isLayer(options.model)
    ? options.model as Layer.Layer<Model>
    : Layer.succeed(Model, (options.model as Model["Type"] | undefined) ?? scripted)
  if (options.cluster !== undefined) {
    return RunWorkflow.layerCluster({ timings: options.timings, shardingConfig: options.shardingConfig }).pipe(
      Layer.provideMerge(options.cluster.database),
      Layer.provideMerge(model)
    )
  }
  if (options.database === undefined) {
    return RunWorkflow.layerMemory(options.timings).pipe(
      Layer.provideMerge(Store.layerMemory),
      Layer.provideMerge(model)
    )
  }
  return RunWorkflow.layerSql({ timings: options.timings, shardingConfig: options.shardingConfig }).pipe(
    Layer.provideMerge(options.database),
    Layer.provideMerge(model)
  )
}

/**
 * Why a runner of a cluster could not start: its settings, its database, its address for the
 * other runners.
 *
 * @since 0.1.0
 * @category models
 */
export type ClusterError = ConfigError.ConfigError | RunWorkflow.RunnerError | Store.StoreError

/**
 * Starts the server; it stops when the layer's scope closes: it refuses new connections, answers
 * the requests in flight with `Connection: close`, and closes what is still open after
 * `shutdownTimeout`.
 *
 * @example
 * ```ts
 * import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
 * import { Assistants, AssistantsLive } from "effect-assistants"
 * import { AssistantsServer } from "effect-assistants-server"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * // a fresh server on a free loopback port, its runs paced for tests
 * const Server = AssistantsServer.layer({ timings: { queued: "5 millis", step: "10 millis" } })
 *
 * // the client pointed at it: `url` is http://127.0.0.1:<port>/v1
 * const Client = Layer.unwrapEffect(
 *   Effect.map(AssistantsServer.AssistantsServer, ({ url }) => AssistantsLive.layer({ baseUrl: url }))
 * ).pipe(Layer.provide(FetchHttpClient.layer))
 *
 * export const test = Effect.gen(function*() {
 *   const assistant = yield* Assistants.create({ model: "gpt-4o", name: "Tutor" })
 *   const page = yield* Assistants.list()
 *   return page.data[0].id === assistant.id
 * }).pipe(Effect.provide(Layer.provideMerge(Client, Server)))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export function layer<E = never>(
  options: Options<E> & { readonly cluster: NonNullable<Options<E>["cluster"]> }
): Layer.Layer<
  AssistantsServer | RunEngine.RunEngine | Store.Store | Model,
  HttpServerError.ServeError | E | ClusterError
>
export function layer<E = never>(
  options?: Options<E>
): Layer.Layer<
  AssistantsServer | RunEngine.RunEngine | Store.Store | Model,
  HttpServerError.ServeError | E | ConfigError.ConfigError
>
export function layer<E = never>(options: Options<E> = {}): Layer.Layer<
  AssistantsServer | RunEngine.RunEngine | Store.Store | Model,
  HttpServerError.ServeError | E | ClusterError
> {
  return Layer.unwrapEffect(Effect.sync(() => {
    const host = options.host ?? "127.0.0.1"
    const faults = options.faultPlan ? Faults.make(options.faultPlan) : undefined
    const server = createServer()
    server.maxConnections = options.maxConnections ?? defaultMaxConnections
    const graceful = Graceful.make(
      server,
      options.keepAliveGrace === undefined ? {} : { keepAliveGrace: options.keepAliveGrace }
    )
    let stopping = false
    const serve = Layer.scopedDiscard(Effect.gen(function*() {
      yield* HttpServer.serveEffect(
        yield* Routes.app({ ...options, faults, stopping: Effect.sync(() => stopping) })
      )
      // added after the handler, so it runs before the handler is removed: the drain still answers
      yield* Effect.addFinalizer(() =>
        Effect.flatMap(
          Effect.zipRight(
            Effect.sync(() => (stopping = true)),
            graceful.drain(options.shutdownTimeout ?? defaultShutdownTimeout)
          ),
          (stats) => options.onStopped ? options.onStopped(stats) : Effect.void
        )
      )
    }))
    const info = Layer.effect(
      AssistantsServer,
      Effect.map(HttpServer.HttpServer, (http) => {
        const port = http.address._tag === "TcpAddress" ? http.address.port : 0
        const shown = host.includes(":") ? `[${host}]` : host
        return { url: `http://${shown}:${port}/v1`, host, port, faultStats: () => faults?.stats() }
      })
    )
    return Layer.mergeAll(serve, info).pipe(
      Layer.provideMerge(layerEngine(options)),
      Layer.provide(NodeHttpServer.layer(() => server, { port: options.port ?? 0, host }))
    )
  }))
}
