/**
 * The embedded server on a random loopback port with fast timings, and the client pointed at it
 * through a recording `HttpClient`: every response body is checked against the official contract.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { AssistantsServer } from "effect-assistants-server"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import { type AssistantsConfig, AssistantsLive } from "../../src/index.js"
import * as Contract from "./Contract.js"

export const fastTimings = {
  queued: "5 millis",
  step: "10 millis",
  cancelling: "5 millis",
  pollAfterMillis: 5
} as const

export interface Recorded {
  readonly method: string
  readonly path: string
  readonly status: number
  readonly body: unknown
}

export const make = (options: {
  readonly server?: AssistantsServer.Options
  readonly apiKey?: Redacted.Redacted<string>
  readonly client?: AssistantsConfig.Options
  /** Skip the contract check (fault plans send bodies that are broken on purpose). */
  readonly unchecked?: boolean
  /** The `HttpClient` underneath (default `FetchHttpClient.layer`). */
  readonly transport?: Layer.Layer<HttpClient.HttpClient>
} = {}) => {
  const transport = options.transport ?? FetchHttpClient.layer
  const responses: Array<Recorded> = []
  const violations: Array<string> = []
  const recording = Layer.effect(
    HttpClient.HttpClient,
    Effect.map(
      HttpClient.HttpClient,
      (client) =>
        HttpClient.tap(client, (response) =>
          Effect.ignore(Effect.flatMap(response.text, (text) =>
            Effect.sync(() => {
              const url = new URL(response.request.url)
              const path = url.pathname.replace(/^\/v1/, "")
              const body = text === "" ? undefined : JSON.parse(text)
              responses.push({ method: response.request.method, path, status: response.status, body })
              const violation = Contract.check(response.request.method, path, response.status, body)
              if (violation) violations.push(violation)
            }))))
    )
  ).pipe(Layer.provide(transport))
  const server = AssistantsServer.layer({ ...options.server, timings: { ...fastTimings, ...options.server?.timings } })
  const client = Layer.unwrapEffect(
    Effect.map(
      AssistantsServer.AssistantsServer,
      ({ url }) =>
        AssistantsLive.layer({ baseUrl: url, ...(options.apiKey ? { apiKey: options.apiKey } : {}), ...options.client })
    )
  ).pipe(Layer.provide(options.unchecked ? transport : recording))
  const layer = Layer.provideMerge(client, server)
  return { layer, responses, violations }
}

/** What a harness provides. */
export type Services =
  | import("../../src/AssistantsLive.js").Services
  | AssistantsServer.AssistantsServer
  | import("effect-assistants-server").RunEngine.RunEngine
  | import("effect-assistants-server").Store.Store
