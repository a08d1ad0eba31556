/** Prompt sizes from a pasted body (`traffic.prompt_tokens_from: body`, live replays, explain). */
import type { RequestBody } from "../types.js";

/** Tokens per message for role and framing (OpenAI's chat format uses 3–4). */
const MESSAGE_OVERHEAD_TOKENS = 4;
const estimates = new WeakMap<object, number | null>();

/**
 * Prompt tokens a body's `messages` / `prompt` stand for, or null when it has neither: an estimate
 * of ⌈characters / 4⌉ over the text (string contents and `text` parts) plus 4 tokens per message.
 * Images, audio, files and tool definitions are not counted. Computed once per body object.
 */
export function estimatedPromptTokens(body: RequestBody): number | null {
  let n = estimates.get(body);
  if (n !== undefined) return n;
  n = null;
  if (body.messages !== undefined || body.prompt !== undefined) {
    let chars = body.prompt?.length ?? 0;
    for (const m of body.messages ?? []) {
      if (typeof m.content === "string") chars += m.content.length;
      else if (Array.isArray(m.content))
        for (const p of m.content) if (typeof p.text === "string") chars += p.text.length;
    }
    n = Math.max(1, Math.ceil(chars / 4) + MESSAGE_OVERHEAD_TOKENS * (body.messages?.length ?? 0));
  }
  estimates.set(body, n);
  return n;
}
