import { persistentHipPain } from '../../../src/pathway/facts/persistent-hip-pain.js';
import { latestPainScore, painNotMild } from '../../../src/pathway/facts/proms.js';
import { pathwayConfig } from '../../helpers/pathway.js';
import { ago, facts, hipPain, now, pain, record } from './build.js';

/** docs/clinical-spec.md §2 persistent hip pain: active episode >= 6 weeks, not improving, pain not mild. */
describe('persistent hip pain', () => {
  const base = { activeEpisode: true, episodeStart: new Date(ago(10, 'w')), improving: false, painNotMild: true };
  test('each part is needed', () => {
    expect(persistentHipPain(base, now, pathwayConfig)).toBe(true);
    expect(persistentHipPain({ ...base, activeEpisode: false }, now, pathwayConfig)).toBe(false);
    expect(persistentHipPain({ ...base, improving: true }, now, pathwayConfig)).toBe(false);
    expect(persistentHipPain({ ...base, painNotMild: false }, now, pathwayConfig)).toBe(false);
    expect(persistentHipPain({ ...base, episodeStart: new Date(ago(5, 'w')) }, now, pathwayConfig)).toBe(false);
  });
  test('on a record: hip pain for 10 weeks with 4/10 last week is persistent, with 3/10 it is not', () => {
    expect(facts([hipPain(ago(10, 'w')), pain(4, ago(1, 'w'))]).persistentHipPain).toBe(true);
    expect(facts([hipPain(ago(10, 'w')), pain(3, ago(1, 'w'))]).persistentHipPain).toBe(false);
  });
});

describe('pain not mild', () => {
  test('the latest 0-10 pain score within 6 weeks decides; without one the pain is not known to be mild', () => {
    expect(painNotMild(undefined, pathwayConfig)).toBe(true);
    expect(painNotMild({ value: 4, date: now }, pathwayConfig)).toBe(true);
    expect(painNotMild({ value: 3.9, date: now }, pathwayConfig)).toBe(false);
    expect(painNotMild({ value: 3, date: now }, { ...pathwayConfig, painNotMildScore: 3 })).toBe(true);
  });
  test('latest pain score: the newest within the window, older ones ignored', () => {
    const r = record(hipPain(ago(1, 'y')), pain(2, ago(3, 'w')), pain(7, ago(1, 'w')), pain(1, ago(8, 'w')));
    expect(latestPainScore(r, pathwayConfig)?.value).toBe(7);
    expect(latestPainScore(record(pain(2, ago(8, 'w'))), pathwayConfig)).toBeUndefined();
  });
});
