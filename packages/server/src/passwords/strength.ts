// Password strength as Stytch's zxcvbn policy judges it: a zxcvbn score of 3 or more, and not in the
// breached-password list. zxcvbn is @zxcvbn-ts with its common and English dictionaries, run in a
// worker thread (zxcvbn-worker.mjs) so that its 10–200 ms of CPU per password never stalls other
// requests. The breached list is the common-password dictionary @zxcvbn-ts ships (the most used
// passwords of public breaches), checked exactly and case-insensitively: no network lookup
// (HaveIBeenPwned) is made.
import { Worker } from 'node:worker_threads';
import * as common from '@zxcvbn-ts/language-common';

export const MIN_ZXCVBN_SCORE = 3;
/** LUDS reference values Stytch uses for its feedback: 8 characters, 3 of the 4 character kinds. */
const LUDS_MIN_LENGTH = 8;
const LUDS_MIN_COMPLEXITY = 3;

export interface StrengthVerdict {
  valid_password: boolean;
  score: number;
  breached_password: boolean;
  strength_policy: 'zxcvbn';
  breach_detection_on_create: true;
  feedback: {
    warning: string;
    suggestions: string[];
    luds_requirements: {
      has_lower_case: boolean;
      has_upper_case: boolean;
      has_digit: boolean;
      has_symbol: boolean;
      missing_complexity: number;
      missing_characters: number;
    };
  };
}

const breached = new Set(common.dictionary['passwords-common'].map((password) => password.toLowerCase()));

/** Whether the password is in the bundled list of breached passwords. */
export function isBreachedPassword(password: string): boolean {
  return breached.has(password.toLowerCase());
}

interface Estimate {
  score: number;
  warning: string;
  suggestions: string[];
}

/** One zxcvbn worker, started on first use; it does not keep the process alive. */
class ZxcvbnWorker {
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<number, { resolve: (estimate: Estimate) => void; reject: (error: Error) => void }>();

  estimate(password: string, userInputs: string[]): Promise<Estimate> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise<Estimate>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, password, userInputs });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./zxcvbn-worker.mjs', import.meta.url));
    worker.unref();
    worker.on('message', (message: Estimate & { id: number; error?: string }) => {
      const waiting = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (this.#pending.size === 0) worker.unref();
      if (message.error !== undefined) waiting?.reject(new Error(`zxcvbn failed: ${message.error}`));
      else waiting?.resolve({ score: message.score, warning: message.warning, suggestions: message.suggestions });
    });
    const fail = (error: Error) => {
      this.#worker = undefined;
      for (const waiting of this.#pending.values()) waiting.reject(error);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the zxcvbn worker exited (${code})`)));
    this.#worker = worker;
    return worker;
  }
}

const zxcvbn = new ZxcvbnWorker();

/** Words the password should not lean on: the email address and its parts. */
function userInputs(email: string | undefined): string[] {
  if (!email) return [];
  const lower = email.trim().toLowerCase();
  const [local = '', domain = ''] = lower.split('@');
  return [lower, local, ...local.split(/[._+-]+/), domain.split('.')[0] ?? ''].filter((word) => word.length >= 3);
}

export async function checkStrength(password: string, email?: string): Promise<StrengthVerdict> {
  const estimate = await zxcvbn.estimate(password, userInputs(email));
  const isBreached = isBreachedPassword(password);
  const valid = estimate.score >= MIN_ZXCVBN_SCORE && !isBreached;
  const warning = isBreached ? 'This password has appeared in a data breach; choose another.' : valid ? '' : estimate.warning;
  return {
    valid_password: valid,
    score: estimate.score,
    breached_password: isBreached,
    strength_policy: 'zxcvbn',
    breach_detection_on_create: true,
    feedback: { warning, suggestions: valid ? [] : estimate.suggestions, luds_requirements: ludsRequirements(password) },
  };
}

function ludsRequirements(password: string): StrengthVerdict['feedback']['luds_requirements'] {
  const has_lower_case = /\p{Ll}/u.test(password);
  const has_upper_case = /\p{Lu}/u.test(password);
  const has_digit = /\p{Nd}/u.test(password);
  const has_symbol = /[^\p{L}\p{Nd}]/u.test(password);
  const kinds = [has_lower_case, has_upper_case, has_digit, has_symbol].filter(Boolean).length;
  return {
    has_lower_case,
    has_upper_case,
    has_digit,
    has_symbol,
    missing_complexity: Math.max(0, LUDS_MIN_COMPLEXITY - kinds),
    missing_characters: Math.max(0, LUDS_MIN_LENGTH - [...password].length),
  };
}
