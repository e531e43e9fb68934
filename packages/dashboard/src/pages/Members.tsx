// Placeholder while this page is written.
import { PageHeader } from '../components/ui.tsx';
import type { PageProps } from './types.ts';

export function MembersPage(_props: PageProps) {
  return <PageHeader title="Members" />;
}

export function MemberPage(_props: PageProps) {
  return <PageHeader title="Member" />;
}
