// Stytch's ids carry their environment: `project-test-<uuid>`, `project-live-<uuid>`.

export type Environment = 'test' | 'live';

/** The environment a project id names: `live` for `project-live-…`, `test` for anything else. */
export function environmentOfProject(projectId: string): Environment {
  return projectId.startsWith('project-live-') ? 'live' : 'test';
}
