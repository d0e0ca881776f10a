/**
 * `/v1/threads/:thread_id/runs/:run_id/steps`: list and retrieve.
 *
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import { ListPage } from "effect-assistants/Common"
import { RunStep } from "effect-assistants/RunStep"
import * as Effect from "effect/Effect"
import { Store } from "../Store.js"
import { checkInclude, encoder, json, pageQuery, param } from "./Http.js"
import { getOr404, getRun } from "./Lookup.js"

const encode = {
  step: encoder(RunStep),
  steps: encoder(ListPage(RunStep))
}

/**
 * @since 0.1.0
 * @category routers
 */
export const routes = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/v1/threads/:thread_id/runs/:run_id/steps",
    Effect.gen(function*() {
      const run = yield* getRun(yield* param("thread_id"), yield* param("run_id"))
      yield* checkInclude
      const store = yield* Store
      const page = yield* store.steps.list(yield* pageQuery, { index: "run", key: run.id })
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
