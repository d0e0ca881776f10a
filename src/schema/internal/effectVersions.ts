/**
 * The effect versions that `Decoder` and `lazy` were checked against. Both stand on public API,
 * but on behaviour no type states: how `ParseResult` orders union members and applies
 * property-signature transformations, and how schema classes answer reads. Their tests fail once
 * the installed effect leaves this range, so that a new minor release is checked before it is
 * trusted.
 *
 * @internal
 */
export const checkedEffectVersions = { from: "3.22.4", below: "3.23.0" } as const
