/**
 * A program that makes one call with the default 10-minute timeout against a loopback server,
 * closes the server and ends: its process must exit at once (test/Deadline.test.ts), which it
 * cannot while a deadline's timer is pending. Prints the call's result.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { Assistants, AssistantsLive } from "../../src/index.js"

const server = Http.createServer((_, response) =>
  response.writeHead(200, { "content-type": "application/json" }).end(
    JSON.stringify({ object: "list", data: [], first_id: null, last_id: null, has_more: false })
  )
)
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo
  const layer = AssistantsLive.layer({ baseUrl: `http://127.0.0.1:${port}/v1` }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )
  Effect.runPromise(Effect.provide(Assistants.list(), layer)).then(
    (page) => {
      server.close()
      console.log(`listed ${page.data.length}`)
    },
    (error) => {
      server.close()
      console.log(`failed ${error}`)
      process.exitCode = 1
    }
  )
})
