/**
 * A fault mode for the embedded server, off unless a {@link Plan} is given: for testing how a
 * client copes with a misbehaving peer. Deterministic: one draw per request from a PRNG seeded by
 * `plan.seed`, in arrival order.
 *
 * Whether the server acted on the request before the fault matters for creates, so each fault
 * says so: `CloseBefore`, `Status` with `processed: false` (the default for 429, and for 503 with
 * a `retry-after`) and `Latency` before processing never touch state; the others run the request
 * first and then spoil the answer.
 *
 * @since 0.1.0
 */
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"

/**
 * What can go wrong with one request.
 *
 * @since 0.1.0
 * @category models
 */
export type Fault =
  /** Waits, then serves normally. */
  | { readonly _tag: "Latency"; readonly millis: number }
  /** Answers with an error status; `processed` runs the request first (default: only for 500/502). */
  | {
    readonly _tag: "Status"
    readonly status: 429 | 500 | 502 | 503
    readonly retryAfterSeconds?: number | undefined
    readonly retryAfterMillis?: number | undefined
    readonly processed?: boolean | undefined
  }
  /** Closes the connection without processing the request. */
  | { readonly _tag: "CloseBefore" }
  /** Processes the request, then closes the connection before answering. */
  | { readonly _tag: "CloseAfter" }
  /** Processes the request, sends half of the body, then closes the connection. */
  | { readonly _tag: "Truncate" }
  /** Processes the request, answers 200 with a body that is not JSON. */
  | { readonly _tag: "MalformedJson" }
  /** Processes the request, answers 200 with an HTML page. */
  | { readonly _tag: "WrongContentType" }
  /** Processes the request, answers with the real body plus `bytes` of padding in an extra field. */
  | { readonly _tag: "LargeBody"; readonly bytes: number }
  /** Processes the request, then sends the body `chunk` bytes every `intervalMillis`. */
  | { readonly _tag: "SlowDrip"; readonly chunk: number; readonly intervalMillis: number }

/**
 * One rule: requests matching `method` and `path` (below `/v1`) get `fault` with `probability`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Rule {
  readonly method?: string | undefined
  readonly path?: RegExp | undefined
  readonly probability: number
  readonly fault: Fault
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Plan {
  readonly seed: number
  readonly rules: ReadonlyArray<Rule>
}

/**
 * What a plan did, counted as it goes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  readonly requests: number
  readonly injected: Readonly<Record<string, number>>
}

/** mulberry32: small, fast and good enough for test plans. */
const prng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const nameOf = (
  fault: Fault
) => (fault._tag === "Status"
  ? `Status${fault.status}${
    fault.retryAfterSeconds !== undefined || fault.retryAfterMillis !== undefined ? "+retry-after" : ""
  }`
  : fault._tag)

/**
 * Wraps an app with a plan. `stats` reads what was injected so far.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (plan: Plan) => {
  const next = prng(plan.seed)
  let requests = 0
  const injected: Record<string, number> = {}

  const choose = (method: string, path: string): Fault | undefined => {
    requests++
    const u = next()
    let acc = 0
    for (const rule of plan.rules) {
      if (rule.method !== undefined && rule.method !== method) continue
      if (rule.path !== undefined && !rule.path.test(path)) continue
      acc += rule.probability
      if (u < acc) {
        const name = nameOf(rule.fault)
        injected[name] = (injected[name] ?? 0) + 1
        return rule.fault
      }
    }
    return undefined
  }

  const middleware = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const path = request.url.split("?")[0].replace(/^\/v1/, "")
      const fault = choose(request.method, path)
      if (fault === undefined) return yield* app
      const node = NodeHttpServerRequest.toServerResponse(request)
      switch (fault._tag) {
        case "Latency": {
          yield* Effect.sleep(fault.millis)
          return yield* app
        }
        case "Status": {
          const processed = fault.processed ?? (fault.status === 500 || fault.status === 502)
          if (processed) yield* app
          const headers: Record<string, string> = {}
          if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterSeconds)
          if (fault.retryAfterMillis !== undefined) headers["retry-after-ms"] = String(fault.retryAfterMillis)
          const type = fault.status === 429 ? "rate_limit_exceeded" : "server_error"
          return HttpServerResponse.unsafeJson(
            { error: { message: `Injected fault: status ${fault.status}.`, type, param: null, code: null } },
            { status: fault.status, headers }
          )
        }
        case "CloseBefore": {
          node.socket?.destroy()
          return yield* Effect.interrupt
        }
        case "CloseAfter": {
          yield* app
          node.socket?.destroy()
          return yield* Effect.interrupt
        }
        case "MalformedJson": {
          yield* app
          return HttpServerResponse.text("{\"id\": \"run_", { contentType: "application/json" })
        }
        case "WrongContentType": {
          yield* app
          return HttpServerResponse.text("<html><body>Bad gateway</body></html>", { contentType: "text/html" })
        }
        case "LargeBody": {
          const response = yield* app
          const body = bodyOf(response)
          const padded = body.startsWith("{")
            ? `{"padding":"${"x".repeat(fault.bytes)}",${body.slice(1)}`
            : body
          return HttpServerResponse.text(padded, { status: response.status, contentType: "application/json" })
        }
        case "Truncate":
        case "SlowDrip": {
          const response = yield* app
          const body = Buffer.from(bodyOf(response))
          node.writeHead(response.status, { "content-type": "application/json", "content-length": String(body.length) })
          if (fault._tag === "Truncate") {
            yield* Effect.async<void>((resume) => {
              node.write(body.subarray(0, Math.floor(body.length / 2)), () => resume(Effect.void))
            })
            node.socket?.destroy()
            return yield* Effect.interrupt
          }
          for (let i = 0; i < body.length; i += fault.chunk) {
            node.write(body.subarray(i, i + fault.chunk))
            yield* Effect.sleep(fault.intervalMillis)
          }
          node.end()
          return response
        }
      }
    })

  return {
    middleware,
    stats: (): Stats => ({ requests, injected: { ...injected } })
  }
}

const decoder = new TextDecoder()

const bodyOf = (response: HttpServerResponse.HttpServerResponse): string =>
  response.body._tag === "Uint8Array" ? decoder.decode(response.body.body) : ""
