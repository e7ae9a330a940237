// Where a login link points: the dashboard, with the token in the URL fragment, which browsers never
// send to a server (it stays out of access logs and Referer headers).

/** The dashboard URL that logs in with `token`. */
export function loginUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/#login=${token}`;
}
