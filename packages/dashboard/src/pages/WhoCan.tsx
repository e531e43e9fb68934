// Placeholder while this page is written.
import { PageHeader } from '../components/ui.tsx';
import type { PageProps } from './types.ts';

export function WhoCanPage(_props: PageProps) {
  return <PageHeader title="WhoCan" />;
}
