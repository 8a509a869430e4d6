/** How far an incident reaches (its scope), in words: where a vendor should look. */
export function reachWords(scope: string, regions: readonly string[]): string {
  const list = regions.join(', ');
  switch (scope) {
    case 'stream':
      return `every line of the stream, in every region${list ? ` (${list})` : ''}`;
    case 'line':
      return `every region sees it${list ? ` (${list})` : ''}`;
    case 'regional':
      return `only ${list || 'some regions'} ${regions.length === 1 ? 'sees' : 'see'} it, the other regions see the line fine`;
    case 'single-probe':
      return `one probe only${list ? ` (in ${list})` : ''}: the others in its region see it fine`;
    case 'probe':
      return 'the probe itself: it cannot see what it watches';
    default:
      return scope;
  }
}
