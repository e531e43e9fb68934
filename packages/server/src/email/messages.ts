// The messages Gatehouse sends: plain text plus simple HTML, each carrying one link. (Stytch's
// template ids and locales are accepted by the endpoints and not used: there is one built-in text.)
import type { EmailKind, EmailMessage } from './mailer.ts';

const WORDING: Record<Exclude<EmailKind, 'otp'>, { subject: string; intro: string; action: string }> = {
  login: { subject: 'Your login link', intro: 'Use this link to log in.', action: 'Log in' },
  signup: { subject: 'Finish signing up', intro: 'Use this link to confirm your email address and finish signing up.', action: 'Finish signing up' },
  invite: { subject: "You've been invited", intro: "You've been invited to create an account. Use this link to accept.", action: 'Accept the invitation' },
  reset_password: { subject: 'Reset your password', intro: 'Use this link to choose a new password.', action: 'Reset your password' },
  email_update: {
    subject: 'Confirm your new email address',
    intro: 'Use this link to confirm this address as your new login email. Until you do, your account keeps its current address.',
    action: 'Confirm this address',
  },
};

export function composeMessage(input: { projectId: string; to: string; kind: Exclude<EmailKind, 'otp'>; link: string; expiresInMinutes: number }): EmailMessage {
  const wording = WORDING[input.kind];
  const expiry = `The link works once and expires in ${describeMinutes(input.expiresInMinutes)}.`;
  const ignore = "If you did not ask for this, you can ignore this email.";
  const text = `${wording.intro}\n\n${input.link}\n\n${expiry}\n${ignore}\n`;
  const href = escapeHtml(input.link);
  const html = `<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.5">
<p>${escapeHtml(wording.intro)}</p>
<p><a href="${href}">${escapeHtml(wording.action)}</a></p>
<p style="color: #555">${escapeHtml(expiry)} ${escapeHtml(ignore)}</p>
<p style="color: #555; font-size: small">${href}</p>
</body></html>
`;
  return { projectId: input.projectId, to: input.to, kind: input.kind, subject: wording.subject, text, html, link: input.link };
}

/** A one-time passcode (B2B email OTP): the 6 digits in the body only. */
export function composeCodeMessage(input: { projectId: string; to: string; code: string; expiresInMinutes: number }): EmailMessage {
  const intro = 'Enter this code to continue:';
  const expiry = `The code works once and expires in ${describeMinutes(input.expiresInMinutes)}.`;
  const ignore = "If you did not ask for this, you can ignore this email.";
  const text = `${intro}\n\n${input.code}\n\n${expiry}\n${ignore}\n`;
  const html = `<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.5">
<p>${escapeHtml(intro)}</p>
<p style="font-size: x-large; letter-spacing: 0.2em"><strong>${escapeHtml(input.code)}</strong></p>
<p style="color: #555">${escapeHtml(expiry)} ${escapeHtml(ignore)}</p>
</body></html>
`;
  return { projectId: input.projectId, to: input.to, kind: 'otp', subject: 'Your passcode', text, html, link: null };
}

function describeMinutes(minutes: number): string {
  if (minutes % 1440 === 0) return plural(minutes / 1440, 'day');
  if (minutes % 60 === 0) return plural(minutes / 60, 'hour');
  return plural(minutes, 'minute');
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
