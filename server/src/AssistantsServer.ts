/**
 * The embedded Assistants-compatible server as one layer: it listens on a loopback port (random
 * unless given), serves the 23 endpoints, and provides its base URL.
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
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpServer from "@effect/platform/HttpServer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createServer } from "node:http"
import * as Faults from "./Faults.js"
import { Model, scripted } from "./Model.js"
import * as Routes from "./Routes.js"
import * as RunEngine from "./RunEngine.js"
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
export interface Options extends Routes.Options {
  /** 0 (the default) picks a free port. */
  readonly port?: number | undefined
  /** Default `127.0.0.1`. */
  readonly host?: string | undefined
  readonly timings?: Partial<RunEngine.Timings> | undefined
  /** Default: the scripted model (see `Model`). */
  readonly model?: Model["Type"] | undefined
  /** A fault plan (see `Faults`). Off by default. */
  readonly faultPlan?: Faults.Plan | undefined
}

/**
 * The server's state and run engine, without a socket: for serving `Routes.app` another way.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerEngine = (options: Options = {}): Layer.Layer<RunEngine.RunEngine | Store.Store | Model> =>
  RunEngine.layer(options.timings).pipe(
    Layer.provideMerge(Store.layerMemory),
    Layer.provideMerge(Layer.succeed(Model, options.model ?? scripted))
  )

/**
 * Starts the server; it stops when the layer's scope closes.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}) => {
  const host = options.host ?? "127.0.0.1"
  const faults = options.faultPlan ? Faults.make(options.faultPlan) : undefined
  const serve = Layer.unwrapEffect(Effect.map(Routes.app({ ...options, faults }), (app) => HttpServer.serve(app)))
  const info = Layer.effect(
    AssistantsServer,
    Effect.map(HttpServer.HttpServer, (server) => {
      const port = server.address._tag === "TcpAddress" ? server.address.port : 0
      const shown = host.includes(":") ? `[${host}]` : host
      return { url: `http://${shown}:${port}/v1`, host, port, faultStats: () => faults?.stats() }
    })
  )
  return Layer.mergeAll(serve, info).pipe(
    Layer.provideMerge(layerEngine(options)),
    Layer.provide(NodeHttpServer.layer(() => createServer(), { port: options.port ?? 0, host }))
  )
}
