/** A hand-made ticket request that cannot be served; `code` maps to the API's error codes. */
export class TicketRequestError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}
