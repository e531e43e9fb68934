// The authentication factors that credentials add to a session (consumer and B2B alike).
import { formatTimestamp } from './clock.ts';
import type { AuthenticationFactor } from './sessions/service.ts';

/** A factor proven through an email address: a password (knowledge) or an email link. */
export function emailFactor(type: 'password' | 'magic_link', deliveryMethod: 'knowledge' | 'email', emailId: string, email: string, at: Date): AuthenticationFactor {
  const time = formatTimestamp(at);
  return {
    type,
    delivery_method: deliveryMethod,
    last_authenticated_at: time,
    created_at: time,
    updated_at: time,
    email_factor: { email_id: emailId, email_address: email },
  };
}

export const passwordFactor = (emailId: string, email: string, at: Date) => emailFactor('password', 'knowledge', emailId, email, at);
export const emailLinkFactor = (emailId: string, email: string, at: Date) => emailFactor('magic_link', 'email', emailId, email, at);
