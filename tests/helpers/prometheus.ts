/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4,
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): it throws on any line that is
 * not a well-formed `# HELP`, `# TYPE` or sample, on a sample whose family has no TYPE, on a TYPE given twice or
 * after its samples, on a histogram without its `+Inf` bucket, `_sum` and `_count`, and on a value that is not a
 * number. So a test that scrapes /metrics through it checks the format as a Prometheus server would read it.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const HELP = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL_PAIR = new RegExp(`^(${LABEL})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(,|$)`);
// As Go's strconv.ParseFloat reads it (Prometheus does): Inf and NaN in any case.
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|[+-]?inf(?:inity)?|nan)$/i;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const m = LABEL_PAIR.exec(rest);
    if (m?.[1] === undefined || m[2] === undefined) throw new Error(`bad labels in: ${line}`);
    if (m[1] in labels) throw new Error(`label ${m[1]} twice in: ${line}`);
    labels[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    rest = rest.slice(m[0].length);
  }
  return labels;
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  const exact = families.get(sampleName);
  if (exact !== undefined) return exact;
  const m = /^(.*)_(bucket|sum|count)$/.exec(sampleName);
  const base = m?.[1] !== undefined ? families.get(m[1]) : undefined;
  return base !== undefined && (base.type === 'histogram' || base.type === 'summary') ? base : undefined;
}

export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = HELP.exec(line);
    if (help?.[1] !== undefined) {
      if (helps.has(help[1])) throw new Error(`HELP twice for ${help[1]}`);
      helps.set(help[1], help[2] ?? '');
      continue;
    }
    const type = TYPE.exec(line);
    if (type?.[1] !== undefined) {
      if (families.has(type[1])) throw new Error(`TYPE twice for ${type[1]}`);
      families.set(type[1], { name: type[1], type: type[2] as Family['type'], help: helps.get(type[1]) ?? '', samples: [] });
      continue;
    }
    if (line.startsWith('#')) throw new Error(`a comment that is neither HELP nor TYPE: ${line}`);
    const s = SAMPLE.exec(line);
    if (s?.[1] === undefined || s[3] === undefined) throw new Error(`not a sample: ${line}`);
    if (!VALUE.test(s[3])) throw new Error(`not a number: ${line}`);
    const family = familyOf(s[1], families);
    if (family === undefined) throw new Error(`a sample before (or without) the TYPE of its family: ${line}`);
    family.samples.push({ name: s[1], labels: parseLabels(s[2] ?? '', line), value: Number(s[3]) });
  }
  for (const f of families.values()) {
    if (f.help === '') throw new Error(`${f.name} has no HELP`);
    if (f.type !== 'histogram') continue;
    const series = new Set(f.samples.filter((s) => s.name === `${f.name}_count`).map((s) => JSON.stringify(s.labels)));
    for (const key of series) {
      const labels = JSON.parse(key) as Record<string, string>;
      const same = (s: Sample): boolean => Object.entries(labels).every(([k, v]) => s.labels[k] === v);
      if (!f.samples.some((s) => s.name === `${f.name}_bucket` && s.labels['le'] === '+Inf' && same(s)))
        throw new Error(`${f.name}${key} has no +Inf bucket`);
      if (!f.samples.some((s) => s.name === `${f.name}_sum` && same(s))) throw new Error(`${f.name}${key} has no _sum`);
    }
  }
  return families;
}

/**
 * The value of one series: the sum over the samples named `sample` (default: the family's name, or
 * `<name>_count` for a histogram) whose labels include `labels`; 0 when there is none yet.
 */
export function valueOf(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
  sample?: string,
): number {
  const family = families.get(name);
  if (family === undefined) throw new Error(`no metric ${name}`);
  const wanted = sample ?? (family.type === 'histogram' ? `${name}_count` : name);
  return family.samples
    .filter((s) => s.name === wanted && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
