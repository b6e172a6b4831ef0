// NLP.js baseline for the intent classifier (issue 14): trains node-nlp on
// knowledge/intents.yaml (nl and en) and scores it on the held-out split
// knowledge/testdata/residents.yaml, the same split `go test ./cmd/wotbot -run
// TestResidents` scores the bot on. Not run in CI.
//
//   cd knowledge/intent/testdata/nlpjs && npm install && node compare.js
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const { NlpManager } = require('node-nlp');

const root = path.join(__dirname, '..', '..', '..');
const intents = yaml.load(fs.readFileSync(path.join(root, 'intents.yaml'), 'utf8'));
const heldOut = yaml.load(fs.readFileSync(path.join(root, 'testdata', 'residents.yaml'), 'utf8'));

(async () => {
  const manager = new NlpManager({ languages: ['nl', 'en'], forceNER: false, autoSave: false, nlu: { log: false } });
  let n = 0;
  for (const block of intents) {
    for (const lang of ['nl', 'en']) {
      for (const text of block[lang] || []) {
        manager.addDocument(lang, String(text), block.intent);
        n++;
      }
    }
  }
  const t0 = Date.now();
  await manager.train();
  console.log(`trained on ${n} examples in ${Date.now() - t0} ms`);
  let ok = 0, crisis = 0, caught = 0, nonCrisis = 0, falseAlarms = 0;
  const t1 = Date.now();
  for (const q of heldOut) {
    const res = await manager.process(q.lang, q.text);
    let got = res.intent;
    if (!got || got === 'None') got = 'out_of_scope';
    if (got === q.intent) ok++;
    if (q.intent === 'crisis') { crisis++; if (got === 'crisis') caught++; }
    else { nonCrisis++; if (got === 'crisis') falseAlarms++; }
  }
  const ms = (Date.now() - t1) / heldOut.length;
  console.log(`NLP.js on ${heldOut.length} held-out questions: intent accuracy ${(ok / heldOut.length).toFixed(3)} (${ok}/${heldOut.length}), crisis recall ${caught}/${crisis}, false alarms ${falseAlarms}/${nonCrisis}, ${ms.toFixed(2)} ms per question`);
})();
