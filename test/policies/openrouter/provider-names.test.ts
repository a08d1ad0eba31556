/** R99: the display-name table covers every provider name of the pinned @openrouter/sdk. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  PROVIDER_DISPLAY_NAMES,
  slugKey,
  slugOfDisplayName,
} from "../../../src/policies/openrouter/provider-names.js";

const SDK_NAMES = [
  ...readFileSync("node_modules/@openrouter/sdk/esm/models/providername.d.ts", "utf8").matchAll(
    /readonly \w+: "([^"]+)";/g,
  ),
].map((m) => m[1]);

describe("R99: provider display names → slugs", () => {
  it("every ProviderName of the SDK (111 in 1.3.19) has a slug", () => {
    expect(SDK_NAMES.length).toBeGreaterThanOrEqual(111);
    expect(SDK_NAMES.filter((n) => slugOfDisplayName(n) === undefined)).toEqual([]);
  });
  it("names are unique (case-insensitive) and slugs are slug-shaped", () => {
    const lower = PROVIDER_DISPLAY_NAMES.map(([n]) => n.toLowerCase());
    expect(new Set(lower).size).toBe(lower.length);
    for (const [, slug] of PROVIDER_DISPLAY_NAMES) expect(slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });
  it("known names: the spec's examples and the snapshot's provider_name → provider_slug pairs", () => {
    expect(slugOfDisplayName("Amazon Bedrock")).toBe("amazon-bedrock");
    expect(slugOfDisplayName("google ai studio")).toBe("google-ai-studio");
    expect(slugOfDisplayName("Google")).toBe("google-vertex");
    expect(slugOfDisplayName("InferenceNet")).toBe("inference-net");
    expect(slugKey(slugOfDisplayName("xAI")!)).toBe(slugKey(slugOfDisplayName("SpaceXAI")!));
    expect(slugKey("Z.AI")).toBe(slugKey("z-ai"));
    const snapshot = JSON.parse(
      readFileSync("data/openrouter-snapshot/deepseek-chat-v3-0324_endpoints_full.json", "utf8"),
    ) as { data: { provider_name: string; provider_slug: string }[] };
    for (const e of snapshot.data) {
      const slug = slugOfDisplayName(e.provider_name);
      if (slug !== undefined) expect(slug, e.provider_name).toBe(e.provider_slug.split("/")[0]);
    }
  });
});
