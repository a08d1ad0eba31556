/** Input errors live below every layer (src/errors.ts); re-exported for the edge code. */
export { formatPath, InputError } from "../errors.js";
