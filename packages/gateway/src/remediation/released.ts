// The release fields incidents and kill switches share: who ended one, when and why, once it ended.

export interface Released {
  readonly by: string;
  readonly at: string;
  readonly reason: string;
}

/** `{released}` from a row's release columns, or nothing while it has not been released. */
export function releasedFrom(row: {
  released_by: string | null;
  released_at: string | null;
  release_reason: string | null;
}): { released?: Released } {
  return row.released_at === null
    ? {}
    : {
        released: {
          by: row.released_by ?? '',
          at: row.released_at,
          reason: row.release_reason ?? '',
        },
      };
}
