/**
 * The outputs the tool loop sends for calls it cannot run, and the check of outputs against the run
 * that asked for them (shared by the polled and the streamed submit). Kept apart from `Tool` so that
 * the loop does not load `effect/JSONSchema`, which only declaring a tool needs.
 *
 * @internal
 */
import { InvalidRequestError } from "../../errors/AssistantsError.js"
import type { Run } from "../../schema/Run.js"

/** @internal */
export const errorOutput = (message: string) => JSON.stringify({ error: message })

/** @internal */
export const unknownFunction = (name: string) => errorOutput(`unknown function ${name}`)

/**
 * Why `outputs` do not answer `run`'s tool calls exactly (each asked call once), or `undefined`
 * when they do: refused before sending.
 *
 * @internal
 */
export const checkToolOutputs = (
  ids: { readonly threadId: string; readonly runId: string },
  run: Run,
  outputs: ReadonlyArray<{ readonly toolCallId: string }>
): InvalidRequestError | undefined => {
  const fail = (message: string) => new InvalidRequestError({ param: "toolOutputs", message })
  if (run.id !== ids.runId || run.threadId !== ids.threadId) {
    return fail(`the run given is ${run.id} on ${run.threadId}, not ${ids.runId} on ${ids.threadId}`)
  }
  if (run.status !== "requires_action" || run.requiredAction === null) {
    return fail(`run ${run.id} is ${run.status}, not waiting for tool outputs`)
  }
  const asked = new Set(run.requiredAction.submitToolOutputs.toolCalls.map((c) => c.id))
  const seen = new Set<string>()
  for (const { toolCallId } of outputs) {
    if (!asked.has(toolCallId)) return fail(`run ${run.id} did not ask for tool call ${toolCallId}`)
    if (seen.has(toolCallId)) return fail(`tool call ${toolCallId} is answered twice`)
    seen.add(toolCallId)
  }
  const missing = [...asked].filter((id) => !seen.has(id))
  return missing.length > 0 ? fail(`tool calls ${missing.join(", ")} have no output`) : undefined
}
