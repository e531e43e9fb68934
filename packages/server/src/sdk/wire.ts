// The allowed-origins API's response shape.
import { formatTimestamp } from '../shared/clock.ts';
import type { AllowedOrigin } from './service.ts';

export const toWireOrigin = (origin: AllowedOrigin) => ({ ...origin, created_at: formatTimestamp(origin.created_at) });
