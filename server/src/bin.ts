#!/usr/bin/env node
/**
 * Runs the embedded server standalone:
 *
 * ```sh
 * npm run server -- --port 4010 [--host 127.0.0.1] [--api-key K]... [--step-ms 400] [--queued-ms 250]
 * ```
 *
 * Prints `effect-assistants server listening on http://127.0.0.1:4010/v1` once it accepts
 * connections. With no `--api-key`, any bearer token (or none) is accepted.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AssistantsServer, layer, type Options } from "./AssistantsServer.js"

const usage = "usage: effect-assistants-server [--port N] [--host H] [--api-key K]... [--queued-ms N] [--step-ms N]"

const parse = (args: ReadonlyArray<string>): Options => {
  const apiKeys: Array<string> = []
  let port = 4010
  let host = "127.0.0.1"
  const timings: { queued?: number; step?: number } = {}
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]
    const value = args[i + 1]
    const number = () => {
      const n = Number(value)
      if (value === undefined || !Number.isInteger(n) || n < 0) {
        throw new Error(`${flag} needs a non-negative integer\n${usage}`)
      }
      i++
      return n
    }
    switch (flag) {
      case "--port":
        port = number()
        break
      case "--host":
        if (value === undefined) throw new Error(`--host needs a value\n${usage}`)
        host = value
        i++
        break
      case "--api-key":
        if (value === undefined) throw new Error(`--api-key needs a value\n${usage}`)
        apiKeys.push(value)
        i++
        break
      case "--queued-ms":
        timings.queued = number()
        break
      case "--step-ms":
        timings.step = number()
        break
      case "--help":
      case "-h":
        console.log(usage)
        process.exit(0)
        break
      default:
        throw new Error(`unknown flag ${flag}\n${usage}`)
    }
  }
  return {
    port,
    host,
    apiKeys,
    timings: {
      ...(timings.queued !== undefined ? { queued: `${timings.queued} millis` } : {}),
      ...(timings.step !== undefined ? { step: `${timings.step} millis` } : {})
    }
  }
}

let options: Options
try {
  options = parse(process.argv.slice(2))
} catch (e) {
  console.error((e as Error).message)
  process.exit(2)
}

const announce = Layer.effectDiscard(
  Effect.flatMap(AssistantsServer, ({ url }) => Console.log(`effect-assistants server listening on ${url}`))
)

NodeRuntime.runMain(Layer.launch(announce.pipe(Layer.provide(layer(options)))))
