/** R119: `routesim catalog import` reads the endpoint object's `supports_tool_choice` flags. */
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { catalogImport } from "../../src/cli/catalog.js";
import { buildCatalog } from "../../src/providers/catalog.js";
import { scenarioFromObject } from "../../src/scenario/load.js";
import { Harness } from "../policies/openrouter/fixture.js";

const FILE = "test/fixtures/openrouter-endpoints-tool-choice.json";

describe("catalog import: supports_tool_choice → tool_choice_support (R119)", () => {
  it("writes only the false flags; an all-true endpoint gets no field", () => {
    const yaml = catalogImport(FILE, {});
    const { providers } = parseDocument(yaml).toJS() as { providers: Record<string, unknown>[] };
    expect(providers.map((p) => p.name)).toEqual(["alpha", "gamma"]);
    expect(providers[0].tool_choice_support).toEqual({ required: false, function: false });
    expect(providers[1].tool_choice_support).toBeUndefined();
  });
  it("the imported scenario routes tool_choice required to the endpoint that passed it", () => {
    const s = scenarioFromObject(parseDocument(catalogImport(FILE, { scenario: "tooly" })).toJS()).scenario;
    const [alpha, gamma] = buildCatalog(s.providers);
    expect(alpha.toolChoiceSupport).toEqual({ auto: true, none: true, required: false, function: false });
    expect(gamma.toolChoiceSupport).toBeUndefined();
    const h = new Harness({}, s.providers);
    const tools = { model: "acme/tooly", tools: [{ type: "function" }] };
    expect(h.order({ ...tools, tool_choice: "required" })).toEqual(["gamma"]);
    expect(new Set(h.order({ ...tools, tool_choice: "auto" }))).toEqual(new Set(["alpha", "gamma"]));
  });
});
