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
 * The handlers live in one module per resource under `routes/`, the checks around them in
 * `routes/Middleware`.
 *
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as Effect from "effect/Effect"
import * as Assistants from "./routes/Assistants.js"
import * as Health from "./routes/Health.js"
import * as Messages from "./routes/Messages.js"
import * as Middleware from "./routes/Middleware.js"
import * as Runs from "./routes/Runs.js"
import * as RunSteps from "./routes/RunSteps.js"
import * as Threads from "./routes/Threads.js"

/**
 * What every request is checked against.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Middleware.Options, Health.Options {}

/**
 * The router of the 23 endpoints, without the checks of {@link app}.
 *
 * @since 0.1.0
 * @category routers
 */
export const router = HttpRouter.concatAll(
  Assistants.routes,
  Threads.routes,
  Messages.routes,
  Runs.routes,
  RunSteps.routes
)

/**
 * The router with the API's checks around it: credentials, the `OpenAI-Beta` header, the error
 * envelope for every failure (unknown routes, defects included), and `x-request-id` on every
 * response; beside it `/healthz` and `/readyz` (see `routes/Health`), which need none of these.
 *
 * @since 0.1.0
 * @category constructors
 */
export const app = (options: Options = {}) =>
  Effect.map(HttpRouter.toHttpApp(router), (routes) => Health.serve(options)(Middleware.make(options)(routes)))
