import Mustache from 'mustache';

/**
 * Card templates compiled once into functions that write the card's text in one pass: Mustache's own parser
 * (so the syntax, the standalone-line rules and the partials' indentation are Mustache's), then, per token, a
 * closure instead of Mustache's per-call walk over the tokens, with a new Context and a lookup cache per render.
 * The output is Mustache's for the values cards use (strings, numbers, booleans, arrays, objects; views never hold
 * functions): names are looked up up the section stack, dotted names from the first level that has their first
 * part, sections repeat over arrays and enter objects, strings and numbers, inverted sections show for falsy
 * values and empty arrays, and every value goes through the given escape (tests/cards/compiled-template.test.ts
 * compares the two on every template of cards/). A view may be a LayeredView: it renders as the one object its
 * layers stand for would.
 */

type Escape = (value: unknown) => string;

type Values = Readonly<Record<string, unknown>>;

/**
 * A view made of layers, read as the object `{ ...outer, ...own }` would be: a name is the value of the innermost
 * layer that has it. A card's view is its finding's values on the values every card of the call shares, and a
 * suggestion's view its own values on the card's: as layers, none of them is copied (copying the call's view for
 * every card, suggestion and order was most of the time spent rendering a card; docs/performance.md).
 */
export class LayeredView {
  constructor(
    readonly own: Values,
    readonly outer: Values | LayeredView,
  ) {}

  /** The innermost layer that has `name`, or undefined. */
  layerWith(name: string): Values | undefined {
    if (name in this.own) return this.own;
    let v = this.outer;
    while (v instanceof LayeredView) {
      if (name in v.own) return v.own;
      v = v.outer;
    }
    return name in v ? v : undefined;
  }

  /** The value of `name`: the innermost layer's that has it. */
  get(name: string): unknown {
    return this.layerWith(name)?.[name];
  }

  /** The one object these layers stand for (for tests and tools; rendering never builds it). */
  merged(): Record<string, unknown> {
    return { ...(this.outer instanceof LayeredView ? this.outer.merged() : this.outer), ...this.own };
  }
}

const NO_VALUES: Values = {};

/** The section stack: the innermost view first. */
interface Stack {
  view: unknown;
  parent: Stack | undefined;
}

type Part = (stack: Stack, escape: Escape) => string;

const hasProperty = (x: unknown, name: string): boolean => x !== null && typeof x === 'object' && name in x;

/** Mustache's Context.lookup, without its per-render cache (a compiled name splits its parts once). */
function lookupIn(stack: Stack, name: string, parts: readonly string[] | undefined): unknown {
  if (name === '.') return stack.view;
  let s: Stack | undefined = stack;
  while (s !== undefined) {
    // A layered view is read through the layer that has the name (or its first part).
    const view = s.view instanceof LayeredView ? (s.view.layerWith(parts?.[0] ?? name) ?? NO_VALUES) : s.view;
    if (parts !== undefined) {
      let x: unknown = view;
      let hit = false;
      for (let i = 0; x !== null && x !== undefined && i < parts.length; i++) {
        const part = parts[i] as string;
        if (i === parts.length - 1) hit = hasProperty(x, part) || (typeof x !== 'object' && Object.hasOwn(Object(x) as object, part));
        x = (x as Record<string, unknown>)[part];
      }
      if (hit) return x;
    } else if (hasProperty(view, name)) {
      return (view as Record<string, unknown>)[name];
    }
    s = s.parent;
  }
  return undefined;
}

function lookup(name: string): (stack: Stack) => unknown {
  const parts = name.indexOf('.') > 0 ? name.split('.') : undefined;
  return (stack) => {
    const value = lookupIn(stack, name, parts);
    // As Mustache: a function is called with the innermost view (views of cards hold none).
    return typeof value === 'function' ? (value as (this: unknown) => unknown).call(stack.view) : value;
  };
}

type Token = [string, string, number, number, ...unknown[]];

function compileTokens(tokens: readonly Token[], partials: Readonly<Record<string, string>>): Part[] {
  return tokens.map((token): Part => {
    const [type, value] = token;
    switch (type) {
      case 'text':
        return () => value;
      case 'name':
      case '&': {
        const get = lookup(value);
        if (type === '&')
          return (stack) => {
            const v = get(stack);
            return v === null || v === undefined ? '' : stringOf(v);
          };
        return (stack, escape) => {
          const v = get(stack);
          return v === null || v === undefined ? '' : escape(v);
        };
      }
      case '#': {
        const get = lookup(value);
        const inner = join(compileTokens(token[4] as Token[], partials));
        return (stack, escape) => {
          const v = get(stack);
          if (!v) return '';
          if (Array.isArray(v)) {
            let out = '';
            for (const item of v as unknown[]) out += inner({ view: item, parent: stack }, escape);
            return out;
          }
          if (typeof v === 'object' || typeof v === 'string' || typeof v === 'number')
            return inner({ view: v, parent: stack }, escape);
          return inner(stack, escape);
        };
      }
      case '^': {
        const get = lookup(value);
        const inner = join(compileTokens(token[4] as Token[], partials));
        return (stack, escape) => {
          const v = get(stack);
          return !v || (Array.isArray(v) && v.length === 0) ? inner(stack, escape) : '';
        };
      }
      case '>': {
        const partial = partials[value];
        if (partial === undefined) return () => '';
        const indentation = token[4] as string;
        const tagIndex = token[5] as number;
        const lineHasNonSpace = token[6] as boolean;
        // Mustache's indentPartial: a standalone partial tag indents every line of the partial.
        const filtered = indentation.replace(/[^ \t]/g, '');
        const text =
          tagIndex === 0 && indentation !== ''
            ? partial
                .split('\n')
                .map((line, i) => (line.length > 0 && (i > 0 || !lineHasNonSpace) ? filtered + line : line))
                .join('\n')
            : partial;
        let compiled: Part | undefined;
        // Compiled on first use: a partial may name itself.
        return (stack, escape) => (compiled ??= join(compileTokens(Mustache.parse(text), partials)))(stack, escape);
      }
      default:
        // '!' comments and '=' delimiter changes write nothing.
        return () => '';
    }
  });
}

function join(parts: readonly Part[]): Part {
  if (parts.length === 1) return parts[0] as Part;
  return (stack, escape) => {
    let out = '';
    for (const part of parts) out += part(stack, escape);
    return out;
  };
}

export type CompiledTemplate = (view: unknown, escape: Escape) => string;

const NO_PARTIALS: Readonly<Record<string, string>> = {};
const cache = new WeakMap<Readonly<Record<string, string>>, Map<string, CompiledTemplate>>();

/** A template compiled once (per set of partials), then called with a view and an escape function. */
export function compileTemplate(template: string, partials: Readonly<Record<string, string>> = NO_PARTIALS): CompiledTemplate {
  let byTemplate = cache.get(partials);
  if (byTemplate === undefined) {
    byTemplate = new Map();
    cache.set(partials, byTemplate);
  }
  let compiled = byTemplate.get(template);
  if (compiled === undefined) {
    const render = join(compileTokens(Mustache.parse(template), partials));
    compiled = (view, escape) => render({ view, parent: undefined }, escape);
    byTemplate.set(template, compiled);
  }
  return compiled;
}

/** Renders a template as Mustache.render(template, view, partials, { escape }) would. */
export function renderTemplate(
  template: string,
  view: unknown,
  escape: Escape,
  partials: Readonly<Record<string, string>> = NO_PARTIALS,
): string {
  return compileTemplate(template, partials)(view, escape);
}

/** Mustache's text of a value: `String(value)`, exactly as Mustache writes it (objects included). */
const stringOf: (value: unknown) => string = String;
