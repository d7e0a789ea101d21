// Type-level check of the client as a CommonJS consumer sees it (compiled by `npm run test:packaging:client`).
import { createAnonymousClient, type AnonymousClient } from 'express-anonymous-session/client';

export const client: AnonymousClient = createAnonymousClient({ issuer: 'https://shop.test', clientId: 'node' });
