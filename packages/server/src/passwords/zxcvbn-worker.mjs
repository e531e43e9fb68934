// zxcvbn off the event loop: a strength estimate takes 10–200 ms of CPU, too long to hold every
// other request up. Plain JavaScript so that it loads in a worker thread without the TypeScript
// loader. Receives {id, password, userInputs}; answers {id, score, warning, suggestions}.
import { parentPort } from 'node:worker_threads';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

const zxcvbn = new ZxcvbnFactory({
  translations: english.translations,
  graphs: common.adjacencyGraphs,
  dictionary: { ...common.dictionary, ...english.dictionary },
  // Bounds the work per password: only the first 100 characters are judged (longer ones are long
  // enough), and l33t variants are tried for at most 10 substitutions.
  maxLength: 100,
  l33tMaxSubstitutions: 10,
});

parentPort.on('message', ({ id, password, userInputs }) => {
  try {
    const { score, feedback } = zxcvbn.check(password, userInputs);
    parentPort.postMessage({ id, score, warning: feedback.warning ?? '', suggestions: feedback.suggestions });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error) });
  }
});
