// Runs the control plane's HTTP server until SIGINT/SIGTERM, then drains in-flight requests,
// flushes the audit log and closes the store: the work of `zt4ai up`, loaded only when it runs.
import { pino } from 'pino';
import { loginUrl, OidcLogin } from '../access/index.js';
import { buildHttpServer } from '../api/index.js';
import { loadConfig } from '../config/index.js';
import { setUpDemo, startDemo } from '../demo/index.js';
import { registerLlmRoutes } from '../llm/index.js';
import { mountMcpEndpoint } from '../mcp/index.js';
import { openControlPlane, openLlmGateway, openMcpGateway } from '../server.js';
import type { GlobalOptions } from './context.js';
import { loginBanner, operatorAccess, policyCatalog } from './governance-setup.js';

export interface UpOptions {
  readonly host?: string;
  readonly port?: number;
  readonly devUnsignedPolicies?: boolean;
  readonly allowPolicyRollback?: boolean;
  readonly demo?: boolean;
}

export async function runControlPlane(options: UpOptions, globals: GlobalOptions): Promise<void> {
  let config = loadConfig({
    flags: { ...globals, host: options.host, port: options.port },
  });
  const demoSetup =
    options.demo === true
      ? await setUpDemo(config.dataDir, config.server.host, config.server.port)
      : undefined;
  const demoWorkspace = demoSetup?.workspace;
  if (demoWorkspace !== undefined)
    config = loadConfig({
      flags: {
        ...globals,
        config: demoWorkspace.configFile,
        dataDir: demoWorkspace.dataDir,
        host: config.server.host,
        port: demoSetup?.port,
      },
    });
  const logger = pino({ level: config.logLevel, base: { service: 'zt4ai' } });
  const allowUnsignedPolicies = options.devUnsignedPolicies === true;
  if (allowUnsignedPolicies) {
    logger.warn(
      'DEVELOPMENT MODE: policy bundles are accepted without a valid signature; never run this in production',
    );
  }
  const allowPolicyRollback = options.allowPolicyRollback === true;
  const plane = await openControlPlane(config, { allowUnsignedPolicies, allowPolicyRollback });
  try {
    const { policies, bundleChange } = await plane.guard();
    if (bundleChange?.change === 'rollback')
      logger.warn(
        {
          bundle: policies.bundle?.manifest.name,
          version: policies.bundle?.manifest.version,
          previous: bundleChange.previous,
        },
        'POLICY ROLLBACK: an older, renamed or changed policy bundle replaced the one in force (--allow-policy-rollback)',
      );
    if (policies.unsigned)
      logger.warn(
        { bundle: config.policy.bundle },
        'loaded an UNSIGNED policy bundle (development mode)',
      );
    logger.info(
      {
        policies: policies.set.policies.length,
        bundle: policies.bundle?.manifest.name ?? 'baseline',
        version: policies.bundle?.manifest.version,
      },
      'policies loaded',
    );
  } catch (error) {
    await plane.close();
    throw error;
  }
  let llm: Awaited<ReturnType<typeof openLlmGateway>>;
  // Listened for before the server listens: a signal during the first start still drains.
  const signalled = untilSignal();
  const access = operatorAccess(plane);
  const app = buildHttpServer({
    store: plane.store,
    audit: plane.audit,
    identity: plane.identity,
    grants: plane.grants,
    publicUrl: config.identity.issuer,
    bodyLimitBytes: config.server.bodyLimitBytes,
    logger,
    access,
    ...(config.operators.oidc === undefined
      ? {}
      : { oidc: new OidcLogin(config.operators.oidc, plane.derivedKey('oidc-state')) }),
    loginLinks: config.operators.loginLinks,
    policies: policyCatalog(plane, config),
    containment: plane.remediation,
    budgets: config.llm.budgets,
  });
  try {
    if (config.mcp.upstreams.length > 0)
      await mountMcpEndpoint(app, await openMcpGateway(plane, { logger }), {
        publicUrl: config.identity.issuer,
        maxMessageBytes: config.mcp.maxMessageBytes,
      });
    llm = await openLlmGateway(plane, { logger });
    if (llm !== undefined)
      registerLlmRoutes(app, llm, { maxRequestBytes: config.llm.maxRequestBytes });
    plane.remediation.start(logger); // containment rules (docs/containment.md)
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (error) {
    await plane.close();
    throw error;
  }
  logger.info(
    {
      store: config.store.kind,
      dataDir: config.dataDir,
      auditOrigin: plane.audit.vkey.split('+')[0],
    },
    'zt4ai control plane started',
  );
  const firstAdmin = await access.ensureFirstAdmin();
  process.stderr.write(
    loginBanner(
      config.identity.issuer,
      firstAdmin === undefined
        ? undefined
        : {
            url: loginUrl(config.identity.issuer, firstAdmin.token),
            expiresAt: firstAdmin.expiresAt,
          },
    ),
  );
  const demo =
    demoWorkspace === undefined ? undefined : await startDemo(plane, demoWorkspace, logger);
  await signalled;
  logger.info('shutting down: draining requests and flushing the audit log');
  await demo?.stop();
  await demoSetup?.model.close();
  const timer = setTimeout(() => {
    logger.error('shutdown timed out');
    process.exit(1);
  }, config.server.shutdownTimeoutMs).unref();
  // Requests still running after half the budget are cut, so the log is flushed in time.
  const cut = setTimeout(
    () => app.server.closeAllConnections(),
    config.server.shutdownTimeoutMs / 2,
  ).unref();
  await app.close();
  clearTimeout(cut);
  await llm?.drain();
  await plane.close();
  clearTimeout(timer);
  logger.info('stopped');
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
