/**
 * PHP bracket keys in form-encoded bodies, both ways. Bitrix24 POSTs every handler call
 * (install, events, robots, SMS, placements) as `application/x-www-form-urlencoded` with
 * nested data spelled `auth[member_id]=..`, `data[MESSAGES][0][im][chat_id]=..`
 * (reference/bitrix24.md section 0), and accepts the same encoding for REST calls and batch
 * commands (`method?query`, section 2.4).
 *
 * Parsing follows PHP's rules where they matter and drops its limits: no nesting depth or
 * input count truncation (max_input_nesting_level / max_input_vars are PHP settings, not the
 * format). Paths through `__proto__` are ignored, and the tree is built in Maps, so no key can
 * reach Object.prototype; `constructor` and `prototype` stay ordinary own keys.
 *
 * Why not `qs` (6.17.1, checked against test/crm/bitrix24/bracket-form.test.ts with depth and
 * parameterLimit Infinity, duplicates "last", any arrayLimit, plainObjects and allowPrototypes
 * both ways, parseArrays both ways): its parser is not PHP's and no option makes it so.
 * - Sparse or not-from-0 indexes become compacted arrays (`a[1]=x` -> ["x"], `a[0]=x&a[2]=z` ->
 *   ["x","z"]): tests "sparse numeric keys stay an object", "numeric keys not from 0 stay an
 *   object". parseArrays:false fixes those and breaks every dense list ("robot document_id and
 *   properties (5.2)", "ONIMCONNECTORMESSAGEADD messages and files (3.7)", "a[]= appends").
 * - No PHP append counter: `a[5]=x&a[]=y` gives ["y","x"], not {5:x,6:y} ("a[]= after explicit
 *   indexes continues after the largest").
 * - A scalar and a subtree under one name are merged into an array instead of the later one
 *   winning ("a scalar then a subtree: the subtree wins", "a subtree then a scalar: the scalar
 *   wins"); `duplicates: "last"` only covers repeats of the identical key.
 * - An unclosed bracket gives {a: {"[b": "1"}} instead of the literal key {"a[b": "1"}
 *   ("unclosed bracket: the key is taken literally").
 * - `constructor` (any Object.prototype name) is dropped unless allowPrototypes, which the qs
 *   docs warn against; plainObjects keeps it but gives null-prototype objects ("security:
 *   __proto__ paths are ignored and Object.prototype stays clean").
 * - `a[]` appends count against arrayLimit, and raising that limit lets `a[N]` allocate an
 *   N-slot array before compaction ("no input count truncation", "a huge index does not
 *   allocate a huge array"). There is no splitBracketKey equivalent either.
 * qs.stringify (format RFC1738, skipNulls, an encoder writing booleans as 1/0) does pass the
 * encodeBracketForm tests, but qs brings 22 packages (side-channel, get-intrinsic,
 * object-inspect...), about 18 KiB gzipped in the Workers bundle, for a 20-line function.
 */

export type BracketValue = string | BracketValue[] | BracketObject;
export interface BracketObject {
  [key: string]: BracketValue;
}

/** What callers may encode: scalars, arrays and plain objects; null and undefined are left out. */
export type BracketInput = string | number | boolean | null | undefined | readonly BracketInput[] | { readonly [key: string]: BracketInput };

interface Branch {
  children: Map<string, Node>;
  /** PHP's `a[]=` appends at (largest integer key so far) + 1 */
  nextIndex: number;
}
type Node = string | Branch;

// at most 15 digits: larger integers lose precision in a JS number, and appends after one would collide
const CANONICAL_INDEX = /^(0|[1-9]\d{0,14})$/;

/** `a[b][][c]` -> ["a", "b", "", "c"]; a key with an unclosed bracket is taken literally, as PHP does. */
export function splitBracketKey(key: string): string[] {
  const open = key.indexOf("[");
  if (open <= 0) return [key];
  const segments = [key.slice(0, open)];
  let pos = open;
  while (pos < key.length && key[pos] === "[") {
    const close = key.indexOf("]", pos + 1);
    if (close === -1) {
      // PHP: an unclosed first bracket makes the whole key a plain name; a later one is dropped
      return segments.length === 1 ? [key] : segments;
    }
    segments.push(key.slice(pos + 1, close));
    pos = close + 1;
  }
  // anything after the last `]` that does not open a new segment is ignored, as in PHP
  return segments;
}

function newBranch(): Branch {
  return { children: new Map(), nextIndex: 0 };
}

function setIndex(branch: Branch, segment: string): string {
  if (segment === "") {
    const key = String(branch.nextIndex);
    branch.nextIndex += 1;
    return key;
  }
  if (CANONICAL_INDEX.test(segment)) branch.nextIndex = Math.max(branch.nextIndex, Number(segment) + 1);
  return segment;
}

/** Parses a form body (string or entries) into nested objects, arrays where keys are 0..n-1. */
export function parseBracketForm(input: string | URLSearchParams | Iterable<readonly [string, string]>): BracketObject {
  const entries = typeof input === "string" ? new URLSearchParams(input) : input;
  const root = newBranch();
  for (const [rawKey, value] of entries) {
    if (rawKey === "") continue;
    const path = splitBracketKey(rawKey);
    if (path.includes("__proto__")) continue;
    let branch = root;
    for (let i = 0; i < path.length; i++) {
      const key = setIndex(branch, path[i]!);
      if (i === path.length - 1) {
        // a repeated key replaces the earlier value (PHP: last one wins), scalar or subtree
        branch.children.set(key, value);
        break;
      }
      const existing = branch.children.get(key);
      if (existing !== undefined && typeof existing !== "string") {
        branch = existing;
      } else {
        const next = newBranch();
        branch.children.set(key, next);
        branch = next;
      }
    }
  }
  return toPlain(root) as BracketObject;
}

function isDenseFromZero(keys: string[]): boolean {
  if (keys.length === 0) return false;
  const present = new Set(keys);
  for (let i = 0; i < keys.length; i++) if (!present.has(String(i))) return false;
  return true;
}

/** Turns the Map tree into plain values without recursion, so nesting depth is bounded by memory only. */
function toPlain(top: Branch): BracketValue {
  const built = new Map<Branch, BracketValue>();
  const stack: Array<{ branch: Branch; expanded: boolean }> = [{ branch: top, expanded: false }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (!frame.expanded) {
      frame.expanded = true;
      for (const child of frame.branch.children.values()) {
        if (typeof child !== "string") stack.push({ branch: child, expanded: false });
      }
      continue;
    }
    stack.pop();
    const valueOf = (n: Node): BracketValue => (typeof n === "string" ? n : built.get(n)!);
    const keys = [...frame.branch.children.keys()];
    if (frame.branch !== top && isDenseFromZero(keys)) {
      built.set(frame.branch, keys.map((_, i) => valueOf(frame.branch.children.get(String(i))!)));
    } else {
      const obj: BracketObject = {};
      for (const [k, n] of frame.branch.children) obj[k] = valueOf(n);
      built.set(frame.branch, obj);
    }
    // children are no longer needed once their parent holds them
    for (const child of frame.branch.children.values()) if (typeof child !== "string") built.delete(child);
  }
  return built.get(top)!;
}

/**
 * Encodes params the way PHP's http_build_query does: `a[b][0]=x`, booleans as 1/0, null and
 * undefined left out, empty arrays and objects left out (Bitrix24 cannot tell them from absent).
 */
export function encodeBracketForm(params: { readonly [key: string]: BracketInput }): string {
  const out = new URLSearchParams();
  const stack: Array<[string, BracketInput]> = Object.entries(params).reverse();
  while (stack.length > 0) {
    const [key, value] = stack.pop()!;
    if (value === null || value === undefined) continue;
    if (typeof value === "boolean") out.append(key, value ? "1" : "0");
    else if (typeof value === "string" || typeof value === "number") out.append(key, String(value));
    else {
      const children: Array<[string, BracketInput]> = Array.isArray(value)
        ? (value as readonly BracketInput[]).map((v, i) => [`${key}[${i}]`, v])
        : Object.entries(value).map(([k, v]) => [`${key}[${k}]`, v]);
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    }
  }
  return out.toString();
}
