// Typed event methods, as @types/node declares them for tls.TLSSocket and tls.Server, but strict:
// an event named in the map takes only a listener of its arguments (an unrelated type does not
// compile); any other name takes any listener. One generic signature per method (not a list of
// overloads) so that a value typed `tls.TLSSocket | SecureDuplex` can still call on() & co.

/** The listener of event E of map M (event name → listener arguments). An event with arguments
 *  takes a listener whose parameters are those or narrower ones (checked as a method, as node's
 *  own types are: `(err: TlsError) => void` for 'error'); an event without takes a listener with
 *  no parameter, or one that accepts undefined (a Promise's resolve function fits). Names not in
 *  M: any listener. */
export type Listener<M, E> = E extends keyof M
  ? M[E] extends []
    ? (arg?: void) => void
    : M[E] extends unknown[]
      ? { bivariance(...args: M[E]): void }['bivariance']
      : never
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  : (...args: any[]) => void;

/** emit()'s arguments for event E of map M. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EmitArgs<M, E> = E extends keyof M ? (M[E] extends unknown[] ? M[E] : never) : any[];
