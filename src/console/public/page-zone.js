// The time-zone part of the history and stream pages' header: which zone times are in, and a
// button to switch (remembered by time.js for every page).
import { setTimeZone, timeZone, zoneLabel } from './time.js';

/** Fills `label` and `button`, and calls `onChange` after a switch (the page redraws its times). */
export function mountZoneSwitch(label, button, onChange) {
  const show = () => {
    const zone = timeZone();
    label.textContent = `times in ${zoneLabel(zone)}`;
    button.textContent = zone === 'utc' ? 'use local time' : 'use UTC';
  };
  button.addEventListener('click', () => {
    setTimeZone(timeZone() === 'utc' ? 'local' : 'utc');
    show();
    onChange();
  });
  show();
}
