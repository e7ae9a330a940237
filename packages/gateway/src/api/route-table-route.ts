// GET /api/routes (admins): every route this server offers and the credential each one takes, read
// from Fastify's route table as routes were registered.
import type { FastifyInstance } from 'fastify';
import { routeTable } from './access-control.js';
import { operatorOnly } from './route-access.js';

export function registerRouteTableRoute(app: FastifyInstance): void {
  app.get('/api/routes', operatorOnly('operators:manage'), async () => ({
    routes: routeTable(app),
  }));
}
