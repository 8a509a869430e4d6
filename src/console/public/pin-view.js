// A manual pin in words: who pinned which line, until when, why, and a warning when the pinned
// line is down (players are held on a broken line until the pin expires or someone fails back).
import { cellLevel, regionsOf } from './grid-model.js';

/**
 * → undefined (no pin) or { line, by, reason, at, until, down: regions where the pinned line is down }.
 * The hub records who, why, when and the expiry with every pin (switch and pin commands).
 */
export function pinView(model, stream) {
  const s = model.byId.get(stream);
  const pin = s?.pin;
  if (!pin) return undefined;
  const down = regionsOf(model).filter((r) => cellLevel(model, stream, pin.value, r) === 'down');
  return { line: pin.value, by: pin.by, reason: pin.reason, at: pin.at, until: pin.until, down };
}
