import { loadCardTemplates } from '../../src/cards/templates.js';
import { barChartSvg, columnChartSvg } from '../../src/site/chart.js';
import { escapeHtml, html, raw } from '../../src/site/html.js';
import { type BurdenFigures, meanCardsPerActivePatient, topicRates } from './figures.js';

/**
 * The burden report as one self-contained HTML file (styles and charts inline, no script, no network): the
 * population, per topic how many charts would show its card, and cards per patient. Charts are Vega-Lite
 * rendered to SVG; every chart has its figures beside it as a table.
 */
const STYLE = `body{font:15px/1.5 system-ui,sans-serif;color:#1b1f23;max-width:60rem;margin:0 auto;padding:1rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:.5rem 0 1rem}
figure svg{max-width:100%;height:auto}.muted{color:#57606a}`;

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

export async function burdenReportHtml(f: BurdenFigures): Promise<string> {
  const templates = loadCardTemplates();
  const display = (t: string): string => templates.byTopic.get(t as never)?.display ?? t;
  const rates = topicRates(f);
  const topicSvg = await barChartSvg(
    rates.map((r) => ({ label: display(r.topic), value: r.patients, group: 'patients with the card' })),
    { title: 'Patients whose chart shows the card (patient-view)', xTitle: 'patients' },
  );
  const histogram = f.cardsPerActivePatient.map((n, i) => ({ label: String(i), value: n }));
  const histogramSvg = await columnChartSvg(histogram.length > 0 ? histogram : [{ label: '0', value: 0 }], {
    title: 'Cards per patient with an active hip episode',
    xTitle: 'cards at one chart opening',
    yTitle: 'patients',
  });
  const p = f.patients;
  const body = html`<h1>Alert burden: ${templates.shared.pathway.name} v${f.pathwayVersion}</h1>
<p class="muted">Charts evaluated as of ${f.asOf}; shards ${f.shards.join(', ')}. Patient-view cards only; counts, no patient data.</p>
<h2>Population</h2>
<table><caption>Patients</caption><tbody>
<tr><th scope="row">read</th><td class="n">${p.read}</td></tr>
<tr><th scope="row">unreadable (skipped)</th><td class="n">${p.unreadable}</td></tr>
<tr><th scope="row">excluded (paediatric, deceased, active hip fracture)</th><td class="n">${p.excluded}</td></tr>
<tr><th scope="row">with a hip condition</th><td class="n">${p.withHipCondition}</td></tr>
<tr><th scope="row">… dormant (no active episode)</th><td class="n">${p.dormant}</td></tr>
<tr><th scope="row">… with an active hip episode</th><td class="n">${p.activeEpisode}</td></tr>
<tr><th scope="row">with at least one card</th><td class="n">${p.withCards}</td></tr>
<tr><th scope="row">with a card but no active episode</th><td class="n">${f.cardsOutsideEpisode}</td></tr>
<tr><th scope="row">cards in all</th><td class="n">${f.cards}</td></tr>
<tr><th scope="row">mean cards per patient with an active episode</th><td class="n">${meanCardsPerActivePatient(f).toFixed(2)}</td></tr>
</tbody></table>
<h2>Per topic</h2>
<figure role="img" aria-label="Patients whose chart shows each topic's card">${raw(topicSvg)}</figure>
<table><caption>Firing per topic</caption>
<thead><tr><th scope="col">topic</th><th scope="col">patients</th><th scope="col">per 1,000 patients read</th><th scope="col">of patients with an active episode</th></tr></thead>
<tbody>${rates.map(
    (r) =>
      html`<tr><td>${display(r.topic)} <code>${r.topic}</code></td><td class="n">${r.patients}</td><td class="n">${r.per1000.toFixed(1)}</td><td class="n">${pct(r.ofActive)}</td></tr>`,
  )}</tbody></table>
<h2>Cards per patient</h2>
<figure role="img" aria-label="Histogram of cards per patient with an active hip episode">${raw(histogramSvg)}</figure>
<table><caption>Cards at one chart opening</caption>
<thead><tr><th scope="col">cards</th><th scope="col">patients with an active episode</th><th scope="col">all patients</th></tr></thead>
<tbody>${f.cardsPerPatient.map(
    (n, i) => html`<tr><td class="n">${i}</td><td class="n">${f.cardsPerActivePatient[i] ?? 0}</td><td class="n">${n}</td></tr>`,
  )}</tbody></table>`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>${escapeHtml(`Alert burden: ${templates.shared.pathway.name} v${f.pathwayVersion}`)}</title>
<style>${STYLE}</style></head>
<body><main>
${body.value}
</main></body>
</html>
`;
}
