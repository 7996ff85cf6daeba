// node:tls's Server and https's Agent are function constructors: `tls.Server(options)` works
// without `new`. An ES class throws there, so the exported classes are this proxy of the class:
// a call constructs, everything else (new, extends, instanceof, statics) is the class's own.

export type CallableClass<C extends abstract new (...args: never[]) => unknown> =
  C & ((...args: ConstructorParameters<C>) => InstanceType<C>);

export function callableWithoutNew<C extends new (...args: never[]) => unknown>(cls: C): CallableClass<C> {
  return new Proxy(cls, {
    apply: (target, _self, args: unknown[]) => Reflect.construct(target, args),
  }) as CallableClass<C>;
}
