import { Ajv } from 'ajv';
import { schemaErrorsText } from '../config/schema-errors.js';
import { projectPath, readYamlFile } from '../data-files.js';

/** The pathway's named windows and thresholds (config/pathway.yaml, documented there and in docs/pathway.md; docs/clinical-spec.md §2). */
export interface PathwayConfig {
  activeEpisodeConditionMonths: number;
  activeEpisodeCareMonths: number;
  persistentPainWeeks: number;
  painNotMildScore: number;
  painScoreRecentWeeks: number;
  promRecentWeeks: number;
  minimalImportantChange: { scale0to10: number; scale0to100: number };
  therapyBeforeEpisodeDays: number;
  failedCareMonths: number;
  programReviewWeeks: number;
  overuseEarlyWeeks: number;
  analgesicTrialWeeks: number;
  injectionLookbackMonths: number;
  lookbackMonths: number;
  giRiskAge: number;
  adultAge: number;
  duloxetineMinEgfr: number;
  acetaminophen: {
    maxDailyMg: number;
    maxDailyMgLiverDisease: number;
    implausibleDailyMg: number;
    regimens: { doseMg: number; everyHours: number }[];
  };
  /** How long feedback quiets a topic for the patient (src/feedback/quiet.ts): durations such as "1 month" or "none". */
  feedbackQuiet?: { accepted?: string; overriddenWithoutReason?: string };
}

const positive = { type: 'number', exclusiveMinimum: 0 } as const;
const wholeWeeksOrMonths = { type: 'integer', minimum: 0, maximum: 520 } as const;

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    activeEpisodeConditionMonths: wholeWeeksOrMonths,
    activeEpisodeCareMonths: wholeWeeksOrMonths,
    persistentPainWeeks: wholeWeeksOrMonths,
    painNotMildScore: { type: 'number', minimum: 0, maximum: 10 },
    painScoreRecentWeeks: wholeWeeksOrMonths,
    promRecentWeeks: wholeWeeksOrMonths,
    minimalImportantChange: {
      type: 'object',
      additionalProperties: false,
      properties: { scale0to10: positive, scale0to100: positive },
    },
    therapyBeforeEpisodeDays: wholeWeeksOrMonths,
    failedCareMonths: wholeWeeksOrMonths,
    programReviewWeeks: wholeWeeksOrMonths,
    overuseEarlyWeeks: wholeWeeksOrMonths,
    analgesicTrialWeeks: wholeWeeksOrMonths,
    injectionLookbackMonths: wholeWeeksOrMonths,
    lookbackMonths: wholeWeeksOrMonths,
    giRiskAge: wholeWeeksOrMonths,
    adultAge: wholeWeeksOrMonths,
    duloxetineMinEgfr: positive,
    feedbackQuiet: {
      type: 'object',
      additionalProperties: false,
      properties: {
        accepted: { type: 'string', pattern: '^(none|[1-9][0-9]{0,3} (day|week|month|year)s?)$' },
        overriddenWithoutReason: { type: 'string', pattern: '^(none|[1-9][0-9]{0,3} (day|week|month|year)s?)$' },
      },
    },
    acetaminophen: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxDailyMg: positive,
        maxDailyMgLiverDisease: positive,
        implausibleDailyMg: positive,
        regimens: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['doseMg', 'everyHours'],
            additionalProperties: false,
            properties: { doseMg: positive, everyHours: { type: 'integer', minimum: 1, maximum: 24 } },
          },
        },
      },
    },
  },
} as const;

const REQUIRED_KEYS: (keyof PathwayConfig)[] = [
  'activeEpisodeConditionMonths',
  'activeEpisodeCareMonths',
  'persistentPainWeeks',
  'painNotMildScore',
  'painScoreRecentWeeks',
  'promRecentWeeks',
  'minimalImportantChange',
  'therapyBeforeEpisodeDays',
  'failedCareMonths',
  'programReviewWeeks',
  'overuseEarlyWeeks',
  'analgesicTrialWeeks',
  'injectionLookbackMonths',
  'lookbackMonths',
  'giRiskAge',
  'adultAge',
  'duloxetineMinEgfr',
  'acetaminophen',
];

function merge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const b = base[k];
    out[k] =
      v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object' && !Array.isArray(b)
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/**
 * The defaults from config/pathway.yaml, with the optional override file (PATHWAY_CONFIG) merged over them;
 * checked by schema. Every error names the file (and PATHWAY_CONFIG for the override) and the key.
 */
export function loadPathwayConfig(overrideFile?: string): PathwayConfig {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const check = ajv.compile(schema);
  const defaults = readYamlFile(projectPath('config', 'pathway.yaml'));
  if (!check(defaults)) throw new Error(`config/pathway.yaml: ${schemaErrorsText(check.errors)}`);
  let merged = defaults as Record<string, unknown>;
  if (overrideFile !== undefined) {
    let override: unknown;
    try {
      override = readYamlFile(overrideFile);
    } catch (err) {
      throw new Error(`PATHWAY_CONFIG: ${(err as Error).message}`);
    }
    if (!check(override)) throw new Error(`PATHWAY_CONFIG ${overrideFile}: ${schemaErrorsText(check.errors)}`);
    merged = merge(merged, override as Record<string, unknown>);
  }
  const missing = REQUIRED_KEYS.filter((k) => merged[k] === undefined);
  if (missing.length > 0) throw new Error(`config/pathway.yaml lacks the key ${missing.join(', ')}`);
  return merged as unknown as PathwayConfig;
}
