// Placeholder while this page is written.
import { PageHeader } from '../components/ui.tsx';
import type { PageProps } from './types.ts';

export function AuditPage(_props: PageProps) {
  return <PageHeader title="Audit" />;
}
