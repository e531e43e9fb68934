// Placeholder while this page is written.
import { PageHeader } from '../components/ui.tsx';
import type { PageProps } from './types.ts';

export function OrganizationsPage(_props: PageProps) {
  return <PageHeader title="Organizations" />;
}

export function OrganizationPage(_props: PageProps) {
  return <PageHeader title="Organization" />;
}
