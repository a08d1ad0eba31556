import { configDefaults, defineConfig } from "vitest/config";

// The live tests against the real Portkey gateway and nginx run on a wall clock: `npm run
// live:portkey` and `npm run live:nginx` run them alone (CI calls them after `npm test`), away from
// the suite's parallel load.
const live = process.env.ROUTESIM_LIVE_RESULTS !== undefined;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: live
      ? configDefaults.exclude
      : [...configDefaults.exclude, "test/live/portkey.test.ts", "test/live/nginx.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
  },
});
