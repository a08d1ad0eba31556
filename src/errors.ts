/** Bad input: a file, a path inside it and what was expected. The CLI prints these and exits 2. */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly { path: string; message: string }[],
  ) {
    super(
      problems.length === 1
        ? `${file}: ${fmt(problems[0])}`
        : `${file}: ${problems.length} problems\n${problems.map((p) => `  - ${fmt(p)}`).join("\n")}`,
    );
    this.name = "InputError";
  }
}

function fmt(p: { path: string; message: string }): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

/** Formats a path like ["providers", 2, "price", "prompt"] as `providers[2].price.prompt`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}
