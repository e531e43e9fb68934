// Placeholder while this page is written.
import { PageHeader } from '../components/ui.tsx';
import type { PageProps } from './types.ts';

export function UsersPage(_props: PageProps) {
  return <PageHeader title="Users" />;
}

export function UserPage(_props: PageProps) {
  return <PageHeader title="User" />;
}
