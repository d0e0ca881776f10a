/**
 * The client's deadline where the platform cannot take the client's own abort signal (another
 * platform version, a second copy of effect): `Effect.timeoutFail` interrupts the attempt and the
 * platform aborts the request. The same suite as test/NodeTransport.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { vi } from "vitest"
import * as RequestSignal from "../src/layers/internal/requestSignal.js"
import { deadlineSuite } from "./utils/deadlines.js"

vi.mock("../src/layers/internal/requestSignal.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../src/layers/internal/requestSignal.js")>()),
  available: () => false
}))

deadlineSuite("with the platform's own abort only, the client's deadline and interruption")

describe("the fallback", () => {
  it("runs without the client's own signal", () => {
    assert.isFalse(RequestSignal.available())
  })
})
