/**
 * Schemas built on first use.
 *
 * Every `Schema` value is a class, and building one costs tens of microseconds: the package's
 * schemas are some 450 of them, about 14 ms of every process that imports the package
 * (bench/README.md). `lazy` hands out a stand-in that builds its schema the first time anything
 * reads it (`ast`, `fields`, `pipe`, `annotations`, ...) and forwards every read to it from then
 * on, so a program pays only for the schemas it uses, when it first uses them.
 *
 * The stand-in has the schema's own type, and reads, `in` checks, key listings and prototype
 * lookups answer as the schema would: `Schema.isSchema`, decoding, `JSONSchema.make` and
 * `Run.fields` behave the same (test/Lazy.test.ts). Schemas are immutable, so writes are not
 * forwarded. `util.inspect` (and so `console.log`) shows the stand-in rather than the class, as
 * Node inspects a proxy's target without its traps; `String(schema)` is unchanged.
 *
 * @internal
 */

type Thunk = () => object

// one handler for every stand-in: the target is the function that builds (once) and returns the
// schema, and a function target keeps `typeof` at "function", as for the schema classes
const handler: ProxyHandler<Thunk> = {
  get: (target, key) => Reflect.get(target(), key),
  has: (target, key) => Reflect.has(target(), key),
  ownKeys: (target) => Reflect.ownKeys(target()),
  getOwnPropertyDescriptor: (target, key) => {
    const descriptor = Reflect.getOwnPropertyDescriptor(target(), key)
    // a proxy may not report as non-configurable a property its target lacks (a class's
    // `prototype`): configurable is the one answer the language allows
    return descriptor === undefined ? undefined : { ...descriptor, configurable: true }
  },
  getPrototypeOf: (target) => Reflect.getPrototypeOf(target())
}

/**
 * A stand-in for the value `build` returns, built on first use.
 *
 * @internal
 */
export const lazy = <S extends object>(build: () => S): S => {
  let built: S | undefined
  return new Proxy<Thunk>(() => (built ??= build()), handler) as S
}
