/** Checks on what a Kubernetes API call threw: the HTTP status of a {@link KubeApiError} (or of client-node's ApiException). */

/** The HTTP status of the error, or undefined for errors that are no API answer. */
export function statusCodeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (err: unknown): boolean => statusCodeOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusCodeOf(err) === 409;
/** AlreadyExists is a 409 too; callers that create treat any 409 as "exists". */
export const isAlreadyExists = isConflict;
