/**
 * Giving a request's transport an `AbortSignal` of the client's own.
 *
 * `HttpClient.make` hands the transport the signal of the controller it finds for the request in
 * a table the platform keeps for `HttpClient.withScope`, and leaves aborting it to whoever put it
 * there. Without an entry it makes a controller of its own, aborts it only on interruption, and
 * wraps the response in an interruptible one (whose body only the platform's cached `text` can
 * read) registered with a finalization registry. The client puts its own controller in that
 * table: a deadline then aborts the request with a timer, no fiber of its own, and without
 * `withScope` and the `Scope` it needs per attempt (about 30 us a page less, bench/README.md).
 *
 * The entry goes in as the request reaches the transport, after every middleware of the user's
 * `HttpClient` (a `mapRequest` makes a new request), from the controller the running attempt
 * set on its fiber ({@link currentController}, inherited by any fiber a middleware forks).
 *
 * The table is the platform's private `globalValue`. Whether it is the one `HttpClient.make`
 * reads is checked once, with a transport that records its signal; where it is not (another
 * platform version, or a second copy of effect), {@link available} is `false` and the client
 * falls back to `Effect.timeoutFail`, which interrupts the attempt (the platform then aborts).
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"

const controllers = globalValue(
  "@effect/platform/HttpClient/scopedRequests",
  () => new WeakMap<HttpClientRequest.HttpClientRequest, AbortController>()
)

/** The next send of `request` hands its transport `controller.signal`; aborting is up to the caller. */
export const attach = (request: HttpClientRequest.HttpClientRequest, controller: AbortController): void => {
  controllers.set(request, controller)
}

/** The controller of the attempt running on a fiber, if any. */
export const currentController: FiberRef.FiberRef<AbortController | undefined> = globalValue(
  "effect-assistants/RequestSignal/currentController",
  () => FiberRef.unsafeMake<AbortController | undefined>(undefined)
)

/** `client`, attaching {@link currentController} to each request as its transport will see it. */
export const attaching = <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
  HttpClient.transform(client, (effect, request) =>
    Effect.withFiberRuntime((fiber) => {
      const controller = fiber.getFiberRef(currentController)
      if (controller !== undefined) attach(request, controller)
      return effect
    }))

let reachable: boolean | undefined

const probe = (): boolean => {
  const controller = new AbortController()
  let seen: AbortSignal | undefined
  const client = HttpClient.make((_request, _url, signal) => {
    seen = signal
    return Effect.die(0)
  })
  const request = HttpClientRequest.get("http://localhost/")
  attach(request, controller)
  Effect.runSync(Effect.exit(Effect.withTracerEnabled(client.execute(request), false)))
  return seen === controller.signal
}

/** Whether {@link attach} reaches the transport; checked on first use. */
export const available = (): boolean => reachable ??= probe()
