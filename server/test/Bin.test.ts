import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url))

describe("effect-assistants-server", () => {
  it("prints its base URL once it accepts connections, then serves the API", async () => {
    const child = spawn(process.execPath, [bin, "--port", "0", "--api-key", "sk-bin"], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ""
        const timer = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 20_000)
        child.stdout.on("data", (chunk) => {
          out += chunk
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out)
          if (match) {
            clearTimeout(timer)
            resolve(match[1])
          }
        })
        child.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)))
      })
      const ok = await fetch(`${url}/assistants`, {
        headers: { "OpenAI-Beta": "assistants=v2", authorization: "Bearer sk-bin" }
      })
      assert.strictEqual(ok.status, 200)
      const denied = await fetch(`${url}/assistants`, { headers: { "OpenAI-Beta": "assistants=v2" } })
      assert.strictEqual(denied.status, 401)
    } finally {
      child.kill()
    }
  })

  it("refuses an unknown flag with its usage and exit code 2", async () => {
    const child = spawn(process.execPath, [bin, "--bogus"], { stdio: ["ignore", "pipe", "pipe"] })
    let err = ""
    child.stderr.on("data", (chunk) => (err += chunk))
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
    assert.strictEqual(code, 2)
    assert.include(err, "usage: effect-assistants-server")
  })
})
