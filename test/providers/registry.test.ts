import { describe, expect, it } from "vitest";
import { getProvider, providers } from "../../app/providers/index.js";

describe("provider registry", () => {
  it("finds every provider by the name it declares", () => {
    for (const [key, provider] of Object.entries(providers)) {
      expect(provider.name).toBe(key);
      expect(getProvider(key)).toBe(provider);
    }
    expect(getProvider("wappi")?.title).toMatch(/Wappi/);
    expect(getProvider("greenapi")?.title).toMatch(/Green-API/);
  });

  it("does not answer names that are not providers, inherited ones included", () => {
    for (const name of ["", "nope", "toString", "__proto__", "constructor", "hasOwnProperty"]) {
      expect(getProvider(name)).toBeUndefined();
    }
  });
});
