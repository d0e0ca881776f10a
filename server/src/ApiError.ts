/**
 * The errors the server answers with, in the API's envelope
 * `{"error":{"message","type","param","code"}}`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * @since 0.1.0
 * @category errors
 */
export class ApiError extends Data.TaggedError("ApiError")<{
  readonly status: number
  readonly message: string
  readonly type: string
  readonly param: string | null
  readonly code: string | null
}> {
  /** The JSON body of the response. */
  get body() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } }
  }
}

/**
 * 400 `invalid_request_error`, naming the offending parameter.
 *
 * @since 0.1.0
 * @category constructors
 */
export const invalid = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError({ status: 400, message, type: "invalid_request_error", param, code })

/**
 * 404 in the API's words: "No thread found with id 'thread_x'."
 *
 * @since 0.1.0
 * @category constructors
 */
export const notFound = (kind: string, id: string) =>
  new ApiError({
    status: 404,
    message: `No ${kind} found with id '${id}'.`,
    type: "invalid_request_error",
    param: null,
    code: null
  })
