/**
 * Running a call's attempts under the retry rules of `RetryPolicy` and a replaceable schedule.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { AssistantsError } from "../../errors/AssistantsError.js"
import * as RetryPolicy from "../RetryPolicy.js"

/**
 * Runs `once`, and again under `policy()` while the rules allow. The schedule is built only once
 * an attempt has failed (most calls never need it), and that first failure is replayed into it so
 * that the schedule counts it and waits before the first retry. `onResend` hears the number of
 * each retry as it starts.
 *
 * @internal
 */
export const retrying = <A>(
  once: Effect.Effect<A, AssistantsError>,
  rules: () => RetryPolicy.Rules,
  policy: () => RetryPolicy.RetryPolicy,
  onResend?: (count: number) => void
): Effect.Effect<A, AssistantsError> =>
  Effect.catchAll(once, (first) => {
    const allowed = rules()
    if (!RetryPolicy.isRetryable(first, allowed)) return Effect.fail(first)
    let resends = -1
    const again = Effect.suspend(() => {
      if (++resends === 0) return Effect.fail(first)
      if (onResend !== undefined) onResend(resends)
      return once
    })
    return Effect.retry(again, {
      schedule: RetryPolicy.honourServerDelay(policy()),
      while: (e) => RetryPolicy.isRetryable(e, allowed)
    })
  })
