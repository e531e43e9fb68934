// The redirect URLs API's response shape.
import { formatTimestamp } from '../shared/clock.ts';
import type { RedirectUrl } from './service.ts';

export const toWireRedirectUrl = (entry: RedirectUrl) => ({ url: entry.url, valid_types: entry.valid_types, created_at: formatTimestamp(entry.created_at) });
