import { describeError } from '../../api/client';

/** A failed call, told the way API.md wants: when to retry on 429, the request id on 5xx. */
export function ErrorNotice({ error }: { error: unknown }) {
  return (
    <div className="notice notice-error" role="alert">
      {describeError(error)}
    </div>
  );
}
