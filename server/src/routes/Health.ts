/**
 * `GET /healthz` and `GET /readyz`, outside `/v1` and without credentials, for load balancers and
 * orchestrators:
 *
 * - `/healthz`: the process answers (liveness): 200 `{"status":"ok"}`.
 * - `/readyz`: the process can serve: every check of the run engine (its database answers, its
 *   run events flow, a cluster's runner holds shards) passed within a second, and it is not
 *   stopping. 200 `{"status":"ready","checks":{...}}`, else 503 `{"status":"unavailable",...}`
 *   naming each check's result, so that traffic goes to the other processes.
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import { RunEngine } from "../RunEngine.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Whether the process is stopping: `/readyz` answers 503 from then on. */
  readonly stopping?: Effect.Effect<boolean> | undefined
}

const checkTimeout = "1 second"

/**
 * The readiness of this process, check by check.
 *
 * @since 0.1.0
 * @category constructors
 */
export const readiness = (options: Options = {}) =>
  Effect.gen(function*() {
    const engine = yield* RunEngine
    const stopping = options.stopping === undefined ? false : yield* options.stopping
    const results = yield* Effect.forEach(engine.checks, (check) =>
      check.ready.pipe(
        Effect.timeout(checkTimeout),
        Effect.catchAll(() => Effect.succeed(false)),
        Effect.map((ready) => [check.name, ready] as const)
      ), { concurrency: "unbounded" })
    const checks = Object.fromEntries([...results, ["serving", !stopping] as const])
    return { ready: Object.values(checks).every((ok) => ok), checks }
  })

/**
 * Answers the two probes; every other request goes to `app`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const serve = (options: Options = {}) => <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | RunEngine> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request): HttpApp.Default<E, R | RunEngine> => {
    if (request.method !== "GET" && request.method !== "HEAD") return app
    const path = request.url.split("?")[0]
    if (path === "/healthz") return Effect.succeed(HttpServerResponse.unsafeJson({ status: "ok" }))
    if (path !== "/readyz") return app
    return Effect.map(readiness(options), ({ checks, ready }) =>
      HttpServerResponse.unsafeJson(
        { status: ready ? "ready" : "unavailable", checks },
        { status: ready ? 200 : 503, headers: { "cache-control": "no-store" } }
      ))
  })
