/** A stream a media server says is being published: its application and name (`live`, `room-7`). */
export interface PublishedStream {
  app: string;
  name: string;
}

/**
 * What a media server's list means for the streams a source added earlier (pure): the ids to add
 * (published, not added yet) and the ids to retire (added earlier, no longer published).
 */
export function diffPublished(published: ReadonlyMap<string, PublishedStream>, added: ReadonlySet<string>): { appeared: [string, PublishedStream][]; disappeared: string[] } {
  return {
    appeared: [...published].filter(([id]) => !added.has(id)),
    disappeared: [...added].filter((id) => !published.has(id)),
  };
}
