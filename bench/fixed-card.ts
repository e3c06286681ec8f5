/** The answer of the reference servers: one card, of the size and shape of a real one without detail. */
export const FIXED_CARD = JSON.stringify({
  cards: [
    {
      uuid: '8f4a1c1e-3f7e-4d0a-9d59-0a6f7d5c2b11',
      summary: 'Persistent hip pain without radiographs: order AP pelvis and lateral hip views before any other imaging',
      indicator: 'warning',
      source: {
        label: 'Hip pain pathway v1.0.0',
        topic: {
          system: 'http://hip-pain-cds.org/fhir/CodeSystem/topic',
          code: 'radiographs-first',
          display: 'Radiographs first',
        },
      },
    },
  ],
});
