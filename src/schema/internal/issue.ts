/**
 * The first issue of a `ParseError`, as the client's and the server's errors report it.
 *
 * @internal
 */
import * as ParseResult from "effect/ParseResult"

/**
 * What failed first: where (`path` dotted, `undefined` at the root), why, and the issue's kind.
 *
 * @internal
 */
export interface FirstIssue {
  readonly path: string | undefined
  readonly message: string
  readonly _tag: ParseResult.ArrayFormatterIssue["_tag"] | undefined
}

/**
 * The first issue of `error`, in `ArrayFormatter`'s order.
 *
 * @internal
 */
export const firstIssue = (error: ParseResult.ParseError): FirstIssue => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  return {
    path: issue?.path.length ? issue.path.map(String).join(".") : undefined,
    message: issue?.message ?? error.message,
    _tag: issue?._tag
  }
}
