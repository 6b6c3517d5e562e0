// Reads .tf files with HashiCorp's HCL parser (@cdktf/hcl2json) for the terraform tests (Terraform/Hcl2Json.cs).
// Usage: node read-tf.mjs FILE...
// Prints one JSON document:
//   files:       [{ path, body }], body as hcl2json gives it: blocks as arrays of objects keyed by type and labels,
//                literals as JSON values, every other expression as a string "${source}"
//   expressions: for each string in a body that holds an interpolation, keyed by the string:
//                expression: the source when the whole string is one expression ("${each.key}" gives "each.key"),
//                            null for a template such as "${var.a}-staging"
//                references: what it refers to, as the parser finds them ("var.a", "local.f.\"Key\".slug", ...)
// A file that does not parse fails the run (exit 1) with the parser's message naming the file.
import { readFile } from "node:fs/promises";
import hcl2json from "@cdktf/hcl2json";

const { parse, getExpressionAst, getReferencesInExpression } = hcl2json;
const interpolation = /(?<![$%])[$%]\{/;

async function isOneExpression(file, text) {
  if (!text.startsWith("${") || !text.endsWith("}")) {
    return false;
  }
  // "${a}-${b}" leaves "a}-${b", which does not parse; "${a}" leaves "a", which does.
  try {
    return (await getExpressionAst(file, text.slice(2, -1))) !== null;
  } catch {
    return false;
  }
}

function strings(value, found) {
  if (typeof value === "string") {
    found.add(value);
  } else if (Array.isArray(value)) {
    value.forEach((item) => strings(item, found));
  } else if (value !== null && typeof value === "object") {
    Object.values(value).forEach((item) => strings(item, found));
  }
  return found;
}

const files = [];
const expressions = {};
for (const path of process.argv.slice(2)) {
  let body;
  try {
    body = await parse(path, await readFile(path, "utf8"));
  } catch (error) {
    process.stderr.write(`${path}: ${error.message}\n`);
    process.exit(1);
  }
  files.push({ path, body });
  for (const text of strings(body, new Set())) {
    if (interpolation.test(text) && !(text in expressions)) {
      const references = await getReferencesInExpression(path, text);
      expressions[text] = {
        expression: (await isOneExpression(path, text)) ? text.slice(2, -1) : null,
        references: references.map((reference) => reference.value),
      };
    }
  }
}

process.stdout.write(JSON.stringify({ files, expressions }));
