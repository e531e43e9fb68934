// The example's RBAC policy: one resource, `documents`, and three roles over it. `write` is the
// permission to edit (update) a document; the browser test gates its button on documents:write.
import type { Policy } from '@gatehouse/policy';

export const DOCUMENT_ACTIONS = ['read', 'create', 'write', 'delete', 'download'] as const;
export type DocumentAction = (typeof DOCUMENT_ACTIONS)[number];

export const DOCUMENTS_POLICY: Policy = {
  resources: [{ resource_id: 'documents', description: 'Documents of the example app', actions: [...DOCUMENT_ACTIONS] }],
  roles: [
    { role_id: 'stytch_user', description: 'Every user: may read', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'viewer', description: 'Reads and downloads', permissions: [{ resource_id: 'documents', actions: ['read', 'download'] }] },
    { role_id: 'editor', description: 'Creates and edits', permissions: [{ resource_id: 'documents', actions: ['read', 'download', 'create', 'write'] }] },
    { role_id: 'admin', description: 'Everything, deleting included', permissions: [{ resource_id: 'documents', actions: ['*'] }] },
  ],
  scopes: [],
};

/** The demo users the example creates (all with the same password). */
export const DEMO_PASSWORD = 'gatehouse-documents-demo-2026';
export const DEMO_USERS = [
  { email: 'ada@example.com', name: 'Ada', roles: ['editor'] },
  { email: 'bob@example.com', name: 'Bob', roles: ['viewer'] },
  { email: 'carol@example.com', name: 'Carol', roles: ['admin'] },
] as const;
