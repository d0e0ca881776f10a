/**
 * Building blocks shared by every API object: the lenient response-field helpers, forward-compatible
 * enums and unions, metadata, usage, list pages and deleted markers.
 *
 * Forward compatibility, decided once for the whole package:
 * - an enum value the schema does not know (a new run status) decodes to its raw string, typed
 *   {@link Unknown} so that a `switch` over the known literals still narrows;
 * - a union member the schema does not know (a new content part or tool type) decodes to
 *   `{ type: "unknown", rawType, raw }`, keeping the raw JSON, and encodes back to that JSON;
 * - unknown object keys are ignored.
 *
 * @since 0.1.0
 */
import type * as Brand from "effect/Brand"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { lazy } from "./internal/lazy.js"

/**
 * A string the API sent where the schema expects one of a known set of literals.
 *
 * @since 0.1.0
 * @category models
 */
export type Unknown = string & Brand.Brand<"effect-assistants/Unknown">

/**
 * Any string, as an {@link Unknown}. One schema serves every open enum: a union tries its literal
 * member first, so only values outside the known set ever land here.
 */
const UnknownValue = /* @__PURE__ */ lazy(() => Schema.String.pipe(Schema.brand("effect-assistants/Unknown")))

/**
 * An enum that accepts values it does not know in responses, carried as {@link Unknown}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openEnum = <const L extends readonly [string, ...Array<string>]>(...values: L) =>
  Schema.Union(Schema.Literal(...values), UnknownValue)

/**
 * A union member the schema does not know, with the raw JSON it came from.
 *
 * @since 0.1.0
 * @category models
 */
export interface UnknownMember {
  readonly type: "unknown"
  readonly rawType: string
  readonly raw: { readonly [key: string]: unknown }
}

/**
 * An open JSON object (a JSON Schema, an unknown member's raw JSON), never renamed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JsonObject = /* @__PURE__ */ lazy(() => Schema.Record({ key: Schema.String, value: Schema.Unknown }))

/**
 * The catch-all member of a union discriminated by `type`: it takes any object whose `type` is a
 * string not in `known`, so a malformed known member still fails with its own error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unknownMember = (
  known: ReadonlyArray<string>
): Schema.Schema<UnknownMember, { readonly [key: string]: unknown }> =>
  Schema.transform(
    JsonObject.pipe(Schema.filter((r) => typeof r.type === "string" && !known.includes(r.type))),
    Schema.Struct({ type: Schema.Literal("unknown"), rawType: Schema.String, raw: JsonObject }),
    {
      strict: true,
      decode: (raw) => ({ type: "unknown" as const, rawType: raw.type as string, raw }),
      encode: (member) => member.raw
    }
  )

/**
 * A response field the contract marks required and nullable: decodes a missing key as `null`
 * (lenient), always encodes the key.
 *
 * @since 0.1.0
 * @category constructors
 */
export const nullable = <A, I, R>(schema: Schema.Schema<A, I, R>) => {
  // the same field type recurs across objects (timestamps, strings, metadata): build it once
  const cached = nullables.get(schema)
  if (cached) return cached as NullableField<A, I, R>
  const field: NullableField<A, I, R> = Schema.optionalToRequired(
    Schema.NullOr(schema),
    Schema.NullOr(Schema.typeSchema(schema)),
    {
      decode: Option.getOrNull,
      encode: Option.some
    }
  )
  nullables.set(schema, field)
  return field
}

/**
 * An optional field with a default: decodes a missing (or `undefined`) key as `value()`, always
 * encodes the key, and fills the key in when the schema's constructor is not given it. The same
 * schema as `Schema.optionalWith(schema, { default: value })`; that function carries the code of
 * every one of its options into each bundle that calls it, this one only what a default needs.
 *
 * @since 0.1.0
 * @category constructors
 */
export const withDefault = <S extends Schema.Schema.Any>(
  schema: S,
  value: () => Schema.Schema.Type<S>
): DefaultField<S> =>
  Schema.optionalToRequired(Schema.UndefinedOr(schema), Schema.typeSchema(schema), {
    decode: (o) => {
      const a = Option.getOrUndefined(o)
      return a === undefined ? value() : a
    },
    encode: Option.some
  }).pipe(Schema.withConstructorDefault(value))

type DefaultField<S extends Schema.Schema.Any> = Schema.PropertySignature<
  ":",
  Schema.Schema.Type<S>,
  never,
  "?:",
  Schema.Schema.Encoded<S> | undefined,
  true,
  Schema.Schema.Context<S>
>

type NullableField<A, I, R> = Schema.PropertySignature<":", A | null, never, "?:", I | null, false, R>
const nullables = new WeakMap<object, unknown>()

/**
 * Unix timestamp in seconds.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Timestamp = Schema.Int

/**
 * Up to 16 string pairs attached to an object. User data: keys are never renamed. Requests are
 * checked against the documented limits; responses are not.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Metadata = /* @__PURE__ */ lazy(() => Schema.Record({ key: Schema.String, value: Schema.String }))

/**
 * @since 0.1.0
 * @category models
 */
export type Metadata = typeof Metadata.Type

/**
 * Metadata as a request may carry it: at most 16 keys of at most 64 characters, values of at most
 * 512 characters.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MetadataParam = /* @__PURE__ */ lazy(() =>
  Schema.Record({
    key: Schema.String,
    value: Schema.String.pipe(Schema.maxLength(512, { message: () => "metadata values are at most 512 characters" }))
  }).pipe(Schema.filter((m) => {
    // A refinement on the key schema would drop long keys silently (index signatures skip keys
    // that do not match), so the key limits are checked here.
    const keys = Object.keys(m)
    if (keys.length > 16) return "metadata has at most 16 keys"
    const long = keys.find((k) => k.length > 64)
    return long === undefined || `metadata keys are at most 64 characters (${long.slice(0, 16)}…)`
  }))
)

/**
 * Token usage of a run or run step.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Usage = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    promptTokens: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("prompt_tokens")),
    completionTokens: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("completion_tokens")),
    totalTokens: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("total_tokens"))
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type Usage = typeof Usage.Type

/**
 * The error a failed run or run step reports.
 *
 * @since 0.1.0
 * @category schemas
 */
export const LastError = /* @__PURE__ */ lazy(() =>
  Schema.Struct({
    code: openEnum("server_error", "rate_limit_exceeded", "invalid_prompt"),
    message: Schema.String
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type LastError = typeof LastError.Type

/**
 * One page of a list operation. `firstId`/`lastId` are `null` on an empty page (the contract says
 * string; servers send null).
 *
 * @since 0.1.0
 * @category models
 */
export interface ListPage<A> {
  readonly object: string
  readonly data: ReadonlyArray<A>
  readonly firstId: string | null
  readonly lastId: string | null
  readonly hasMore: boolean
}

/**
 * The schema of one page of `item`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ListPage = <A, I, R>(item: Schema.Schema<A, I, R>) => {
  const cached = pages.get(item)
  if (cached) return cached as ReturnType<typeof makeListPage<A, I, R>>
  const page = makeListPage(item)
  pages.set(item, page)
  return page
}

const pages = new WeakMap<object, unknown>()

const makeListPage = <A, I, R>(item: Schema.Schema<A, I, R>) =>
  /* @__PURE__ */ lazy(() =>
    Schema.Struct({
      object: withDefault(Schema.String, () => "list"),
      data: Schema.Array(item),
      firstId: nullable(Schema.String).pipe(Schema.fromKey("first_id")),
      lastId: nullable(Schema.String).pipe(Schema.fromKey("last_id")),
      hasMore: Schema.propertySignature(Schema.Boolean).pipe(Schema.fromKey("has_more"))
    })
  )

/**
 * The marker a delete returns.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Deleted = <O extends string>(object: O) =>
  Schema.Struct({
    id: Schema.String,
    object: Schema.Literal(object),
    deleted: Schema.Boolean
  })

/**
 * Sort order of a list by creation time.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Order = /* @__PURE__ */ Schema.Literal("asc", "desc")

/**
 * Page parameters shared by every list operation. `limit` is 1..100.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PageParams = {
  // plain fields to spread into a struct, so built at import (three small schemas), not lazily; each
  // call marked pure, so that a bundle that never reads them (no service does) drops them
  limit: /* @__PURE__ */ Schema.optional(
    /* @__PURE__ */ Schema.Int.pipe(
      /* @__PURE__ */ Schema.between(1, 100, { message: () => "limit must be an integer between 1 and 100" })
    )
  ),
  order: /* @__PURE__ */ Schema.optional(Order),
  after: /* @__PURE__ */ Schema.optional(Schema.String),
  before: /* @__PURE__ */ Schema.optional(Schema.String)
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PageParams {
  readonly limit?: number
  readonly order?: "asc" | "desc"
  readonly after?: string
  readonly before?: string
}

/**
 * The one value `include[]` accepts: file search result contents in run steps.
 *
 * @since 0.1.0
 * @category constants
 */
export const includeValue = "step_details.tool_calls[*].file_search.results[*].content" as const

/**
 * `include[]` as a schema: an array of {@link includeValue}.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Include = /* @__PURE__ */ lazy(() => Schema.Array(Schema.Literal(includeValue)))

/**
 * @since 0.1.0
 * @category models
 */
export type Include = typeof Include.Type
