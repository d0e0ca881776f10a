/**
 * The outputs the tool loop sends for calls it cannot run. Kept apart from `Tool` so that the
 * loop does not load `effect/JSONSchema`, which only declaring a tool needs.
 *
 * @internal
 */

/** @internal */
export const errorOutput = (message: string) => JSON.stringify({ error: message })

/** @internal */
export const unknownFunction = (name: string) => errorOutput(`unknown function ${name}`)
