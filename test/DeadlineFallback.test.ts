/**
 * The client's deadline where the platform cannot take the client's own abort signal (another
 * platform version, a second copy of effect): `Effect.timeoutFail` interrupts the attempt and the
 * platform aborts the request. The same suite as test/NodeTransport.test.ts.
 */
import { vi } from "vitest"
import { deadlineSuite } from "./utils/deadlines.js"

vi.mock("../src/layers/internal/requestSignal.js", () => ({
  available: () => false,
  attach: () => {
    throw new Error("attach called although the signal is unavailable")
  }
}))

deadlineSuite("with the platform's own abort only, the client's deadline and interruption")
