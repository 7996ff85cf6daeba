// One connection's engine options over the options shared by every connection of a Server (or
// a connect() call). The shared object is the prototype: the connection reads through it and
// owns only what it sets itself, so an idle connection does not carry a copy of every option.
import type { EngineOptions } from '../engine/engine.js';

/**
 * A view of `shared` in which `own` (and whatever is assigned later: setServername(),
 * disableRenegotiation(), callbacks bound to the connection) shadows the shared value without
 * changing it. Read options by name (`config.x`, `'x' in config`); spreading or Object.keys()
 * sees only the connection's own ones.
 */
export function connectionConfig(shared: EngineOptions, own: Partial<EngineOptions> = {}): EngineOptions {
  return Object.assign(Object.create(shared) as EngineOptions, own);
}
