/** Helpers shared by test files. */
import { InputError } from "../src/scenario/errors.js";

/** Runs `f` and returns the InputError it throws; fails when it throws nothing or something else. */
export function thrownInputError(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error("expected an InputError");
}
