// @gatehouse/server: Gatehouse as a library, for embedding it in another Node process. The CLI
// (`gatehouse serve`) does the same as this: load the configuration, create, make the project, listen.
//
//   const { config } = loadConfig(process.env);
//   const gatehouse = await createGatehouse({ config });
//   await ensureProject(gatehouse, config);
//   await gatehouse.app.listen({ port: config.port, host: config.host });
export { createGatehouse, type CreateGatehouseOptions, type Gatehouse } from './app/server.ts';
export { ConfigError, loadConfig, type Environment, type LoadedConfig, type ServerConfig } from './shared/config.ts';
export { ensureProject, readCredentialsFile, type BootstrapResult } from './projects/bootstrap.ts';
export type { Actor, Project, ProjectCredentials } from './projects/service.ts';
export { systemActor } from './audit/log.ts';
export { systemClock, type Clock } from './shared/clock.ts';
export { GatehouseError, isGatehouseError } from './shared/errors.ts';
export type { App } from './http/app.ts';
