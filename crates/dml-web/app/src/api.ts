// The indexer's read API: JSON over HTTP, errors as sentences.

/** An indexer answer other than 2xx; `status` tells a 404 (not indexed yet) from a real failure. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Makes the `ctx.api` function for the indexer at `indexerUrl`. */
export function makeApi(indexerUrl: string): <T = any>(path: string) => Promise<T> {
  const base = indexerUrl.replace(/\/+$/, "");
  return async <T>(path: string): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(base + path, { headers: { accept: "application/json" } });
    } catch {
      throw new ApiError(`The indexer at ${base} does not answer.`, 0);
    }
    if (!response.ok) {
      let reason = "";
      try {
        const body = (await response.json()) as { error?: unknown };
        if (typeof body.error === "string") reason = body.error;
      } catch {
        // Not JSON: keep the status alone.
      }
      const said = reason ? `: ${reason.replace(/\.$/, "")}` : "";
      throw new ApiError(`The indexer answered ${response.status}${said}.`, response.status);
    }
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError(`The indexer at ${base} sent an answer that is not JSON.`, response.status);
    }
  };
}

/** Is this the indexer saying it does not know the thing (yet)? */
export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404;
}
