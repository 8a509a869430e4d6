/** The one HTTP stack (express 5): a typed error, one error middleware, a JSON body parser and its schema check, query checks (by hand or with a zod schema) and method helpers, upgrade refusals, a listener that closes promptly. */
export { HttpError, ERROR_STATUS, codeForStatus, type ErrorCode } from './http-error.ts';
export { errorMiddleware, notFound } from './error-middleware.ts';
export { jsonBody } from './json-body.ts';
export { validBody } from './valid-body.ts';
export { allowMethods } from './methods.ts';
export { intParam, onlyParams, queryParams } from './query.ts';
export { intQuery, listQuery, validQuery } from './valid-query.ts';
export { refuseUpgrade, type UpgradeHandler } from './upgrade.ts';
export { listen, type Listening, type ListenOptions } from './listen.ts';
