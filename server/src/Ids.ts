/**
 * Ids in the API's formats (`asst_`, `thread_`, `msg_`, `run_`, `step_`, `call_`). Each embeds a
 * process-wide sequence number, so a list cursor keeps its place even after the object it names
 * was deleted.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"

const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
let sequence = 0

const random = (n: number) => {
  const bytes = randomBytes(n)
  let out = ""
  for (let i = 0; i < n; i++) out += alphabet[bytes[i] % alphabet.length]
  return out
}

/**
 * A new id with `prefix`: 8 base-36 digits of sequence, then 16 random characters.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (prefix: "asst" | "thread" | "msg" | "run" | "step" | "call" | "req") =>
  `${prefix}_${(++sequence).toString(36).padStart(8, "0")}${random(16)}`

/**
 * The sequence number an id carries, or `undefined` when it is not one of ours.
 *
 * @since 0.1.0
 * @category getters
 */
export const sequenceOf = (id: string): number | undefined => {
  const match = /^[a-z]+_([0-9a-z]{8})[A-Za-z0-9]{16}$/.exec(id)
  return match ? parseInt(match[1], 36) : undefined
}
